package io.tally;

/** Bad input, rejected before anything was written. {@link #field()} names the offending field. */
public class InvalidInputException extends TallyException {
    private static final long serialVersionUID = 1L;
    private final String field;

    /**
     * @param field the name of the offending field, as in the API ({@code name}, {@code total}, {@code part}, …)
     * @param problem what is wrong with it
     */
    public InvalidInputException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    /** @return the name of the offending field */
    public String field() {
        return field;
    }
}
