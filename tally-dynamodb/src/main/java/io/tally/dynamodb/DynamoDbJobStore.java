package io.tally.dynamodb;

import io.tally.JobQuery;
import io.tally.Outcome;
import io.tally.Page;
import io.tally.StoreUnavailableException;
import io.tally.store.JobRecord;
import io.tally.store.JobRules;
import io.tally.store.JobStats;
import io.tally.store.JobStore;
import io.tally.store.JobWrite;
import io.tally.store.LocalEventHub;
import io.tally.store.LogEntry;
import io.tally.store.NewJob;
import io.tally.store.PartStatus;
import io.tally.store.PartUpdate;
import io.tally.store.PartsOutcome;
import io.tally.store.PartsWrite;
import io.tally.store.ProgressUpdate;
import io.tally.store.RecordedProgress;
import io.tally.store.StoreEvent;
import io.tally.store.StoredItem;
import io.tally.store.SweepKind;
import io.tally.store.Transition;
import io.tally.store.TransitionResult;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The DynamoDB store ({@code dynamodb://host:port?…}, {@code dynamodb:?…}, or {@link #builder()} with the
 * application's own {@link DynamoDbClient}): one table, the job's item holding everything a rule reads, one
 * conditional write per step. The table design, the limits and what a DynamoDB-compatible test server lacks are in
 * the module README.
 *
 * <p>This class is the SPI mapping, its {@link Builder} and the lifecycle; the work is done by package-private classes
 * with one job each:
 *
 * <ul>
 *   <li>{@code JobQueues}: the per-job queue and its drainer (group commit: one step per job at a time in this
 *       process; a creation and a delete take their turn alone, so events are in order);
 *   <li>{@code JobWriter}: every write to a job ({@link #record}, {@link #recordParts}, {@link #transition}) as one
 *       step: read, {@link JobRules#apply}, one conditional {@code PutItem}, retry on a conflict, the too-large
 *       refusal and the lost-answer marks. This class decides none of it;
 *   <li>{@code LastWrites}: the job items this process wrote last, that a step starts from;
 *   <li>{@code KeyedItems}: keyed items, exactly once per key: the pending map in the job's item, its flush to the
 *       item rows, and {@link #items};
 *   <li>{@code JobRows}: a job's creation (the item and its part payloads) and deletion (the item, then its
 *       generation's rows);
 *   <li>{@code IndexQueries}: the listings and the sweep's candidates over the secondary indexes;
 *   <li>{@code JobStatsQuery}: {@link #stats}, over the state index or a root's tree;
 *   <li>{@code JobLogs}: the log records and their counter;
 *   <li>{@code Requests}: every request to DynamoDB, on the store's own threads, an SDK failure made a
 *       {@link StoreUnavailableException};
 *   <li>{@code JobItems} (the layout) and {@code TableSetup} (the table and its indexes).
 * </ul>
 */
public final class DynamoDbJobStore implements JobStore {
    /** Most parts a job may have: their outcomes live in the job's item (two bits each, 25 KB at the most). */
    public static final int MAX_PARTS = 100_000;
    /** Most bytes of a job's item at creation, leaving room for a result, an error and the pending items. */
    public static final int MAX_CREATE_BYTES = 256 * 1024;
    /** DynamoDB's item limit (400 KB), less a margin for the estimate. */
    public static final int MAX_ITEM_BYTES = 396 * 1024;

    private final DynamoDbClient client;
    private final boolean closeClient;
    private final String table;
    private final Clock clock;
    private final LocalEventHub events = new LocalEventHub();
    private final Requests requests;
    private final JobQueues queues;
    private final JobRows jobRows;
    private final KeyedItems keyedItems;
    private final IndexQueries indexQueries;
    private final JobStatsQuery statsQuery;
    private final JobLogs jobLogs;

    private DynamoDbJobStore(Builder b) {
        this.client = b.client;
        this.closeClient = b.closeClient;
        this.table = b.tablePrefix + "jobs";
        this.clock = b.clock;
        this.requests = new Requests(client, table, new JobItems(b.namespace));
        LastWrites written = new LastWrites();
        this.keyedItems = new KeyedItems(requests, b.flushEntries);
        this.jobRows = new JobRows(requests, written, events, clock);
        JobWriter writer = new JobWriter(requests, keyedItems, jobRows, written, events, clock);
        this.queues = new JobQueues(requests.threads(), writer::steps);
        this.indexQueries = new IndexQueries(requests);
        this.statsQuery = new JobStatsQuery(requests, indexQueries);
        this.jobLogs = new JobLogs(requests);
        if (b.createTable) {
            TableSetup.ensure(client, table, b.tableWait);
        }
    }

    /** @return a builder: {@link Builder#client} is required */
    public static Builder builder() {
        return new Builder();
    }

    /** Opens a store on a {@link DynamoDbClient}. */
    public static final class Builder {
        private DynamoDbClient client;
        private boolean closeClient;
        private String tablePrefix = "tally_";
        private String namespace = "";
        private Clock clock = Clock.systemUTC();
        private boolean createTable = true;
        private Duration tableWait = Duration.ofMinutes(5);
        private int flushEntries = KeyedItems.FLUSH_ENTRIES;

        private Builder() {}

        /**
         * @param client the client the store calls through; the store does not close it unless {@link #closeClient}
         * @return this builder
         */
        public Builder client(DynamoDbClient client) {
            this.client = Objects.requireNonNull(client, "client");
            return this;
        }

        /**
         * @param close true to close the client with the store (the provider does, for the client it made)
         * @return this builder
         */
        public Builder closeClient(boolean close) {
            this.closeClient = close;
            return this;
        }

        /**
         * @param prefix the table is {@code <prefix>jobs}: letters, digits, {@code _}, {@code -} and {@code .}
         * @return this builder
         * @throws IllegalArgumentException for other characters
         */
        public Builder tablePrefix(String prefix) {
            if (!prefix.matches("[A-Za-z0-9_.-]{0,200}")) {
                throw new IllegalArgumentException(
                        "tablePrefix: letters, digits, _, - and . only, at most 200, was " + prefix);
            }
            this.tablePrefix = prefix;
            return this;
        }

        /**
         * @param namespace a name of its own within the table (several stores share one table), letters, digits,
         *     {@code _} and {@code -}; empty for none
         * @return this builder
         * @throws IllegalArgumentException for other characters
         */
        public Builder namespace(String namespace) {
            if (!namespace.matches("[A-Za-z0-9_-]{0,64}")) {
                throw new IllegalArgumentException(
                        "namespace: letters, digits, _ and - only, at most 64, was " + namespace);
            }
            this.namespace = namespace;
            return this;
        }

        /**
         * @param clock the clock every write takes its time from
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * @param create false when the table is made elsewhere (infrastructure as code); true (the default) creates
         *     it on open when absent and waits until it is ACTIVE
         * @return this builder
         */
        public Builder createTable(boolean create) {
            this.createTable = create;
            return this;
        }

        /** Pending keyed items that make the next step write them to their rows (tests lower it). */
        Builder flushEntries(int entries) {
            this.flushEntries = entries;
            return this;
        }

        /**
         * @return the store
         * @throws IllegalStateException without a client
         * @throws StoreUnavailableException if the table cannot be set up
         */
        public DynamoDbJobStore build() {
            if (client == null) {
                throw new IllegalStateException("client is required");
            }
            return new DynamoDbJobStore(this);
        }
    }

    @Override
    public Clock clock() {
        return clock;
    }

    /** @return the table's name */
    public String table() {
        return table;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // create, find

    @Override
    public JobRecord create(NewJob j) {
        return (JobRecord) await(queues.submitOp(j.id(), () -> jobRows.createNow(j)));
    }

    @Override
    public Optional<JobRecord> find(String id) {
        return Optional.ofNullable(requests.read(id)).map(JobItems.Stored::record);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // the writes: queued on the job, run as one step by JobWriter

    @Override
    public CompletableFuture<RecordedProgress> record(String id, ProgressUpdate update) {
        return submit(id, update).thenApply(RecordedProgress.class::cast);
    }

    @Override
    public CompletableFuture<PartsOutcome> recordParts(String id, List<PartUpdate> parts) {
        return submit(id, new PartsWrite(parts)).thenApply(PartsOutcome.class::cast);
    }

    @Override
    public TransitionResult transition(String id, Transition transition) {
        return (TransitionResult) await(submit(id, transition));
    }

    private CompletableFuture<Object> submit(String id, JobWrite write) {
        return queues.submit(id, write);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // reads

    @Override
    public Page<JobRecord> query(JobQuery q) {
        return indexQueries.query(q);
    }

    @Override
    public JobStats stats(String root) {
        return statsQuery.stats(root);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The item rows merged with the job's pending items (which are newer than any row): keys in order after
     * {@code afterKey}, a pending entry taking the place of its row.
     */
    @Override
    public Page<StoredItem> items(String id, Outcome outcome, String afterKey, int limit) {
        return keyedItems.items(id, outcome, afterKey, limit);
    }

    @Override
    public List<Integer> parts(String id, PartStatus status, int after, int limit) {
        JobItems.Stored s = requests.readExisting(id);
        Outcome wanted = switch (status) {
            case PENDING -> null;
            case SUCCEEDED -> Outcome.SUCCESS;
            case FAILED -> Outcome.FAILURE;
        };
        List<Integer> out = new ArrayList<>();
        for (int p = Math.max(0, after + 1); p < s.record().parts() && out.size() < limit; p++) {
            if (JobItems.partOutcome(s.partBits(), p) == wanted) {
                out.add(p);
            }
        }
        return out;
    }

    @Override
    public Optional<String> partPayload(String id, int part) {
        JobItems.Stored s = requests.readExisting(id);
        JobRules.checkPart(id, s.record().parts(), part);
        Map<String, AttributeValue> row = requests.call(() -> client.getItem(b -> b.tableName(table)
                        .key(Map.of(
                                JobItems.PK,
                                JobItems.s(requests.layout().pk(id)),
                                JobItems.SK,
                                JobItems.s(JobItems.partSk(s.gen(), part))))
                        .consistentRead(true)))
                .item();
        return row == null || row.isEmpty() ? Optional.empty() : Optional.ofNullable(JobItems.str(row, "pl"));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // logs

    /**
     * {@inheritDoc}
     *
     * <p>The numbers come from the job's log counter ({@code n#gen}, an atomic {@code ADD} that answers the new value):
     * each append takes a range of its own, then writes its records.
     */
    @Override
    public void appendLogs(String id, List<LogEntry> entries) {
        jobLogs.appendLogs(id, entries);
    }

    @Override
    public List<LogEntry> logs(String id, long afterSeq, int limit) {
        return jobLogs.logs(id, afterSeq, limit);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // sweep, delete, events

    /**
     * {@inheritDoc}
     *
     * <p>Read from the kind's sparse index (an entry only while the job can become due for it), ordered by the due
     * time: the keys before {@code now}.
     */
    @Override
    public List<String> sweepCandidates(SweepKind kind, Instant now, int limit) {
        return indexQueries.sweepCandidates(kind, now, limit);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The job's item goes first (a DeleteItem that answers the item it deleted, for the DELETED event); a write
     * that read it before fails its condition and finds the job gone. Then its rows, those of its generation only, so
     * a job created again under the same id keeps its own.
     */
    @Override
    public boolean delete(String id) {
        return (Boolean) await(queues.submitOp(id, () -> jobRows.deleteNow(id)));
    }

    /**
     * {@inheritDoc}
     *
     * <p>In-process only: DynamoDB Streams would carry other processes' writes, but the store does not read them
     * (dynalite has none), so a process hears its own writes (see the README).
     */
    @Override
    public AutoCloseable subscribe(Consumer<StoreEvent> listener) {
        return events.subscribe(listener);
    }

    @Override
    public void close() {
        requests.shutdown();
        if (closeClient) {
            client.close();
        }
    }
}
