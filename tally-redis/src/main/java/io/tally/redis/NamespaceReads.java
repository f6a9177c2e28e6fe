package io.tally.redis;

import io.tally.JobQuery;
import io.tally.Page;
import io.tally.store.Cursor;
import io.tally.store.JobRecord;
import io.tally.store.JobStats;
import io.tally.store.SweepKind;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The reads that span a namespace rather than one job: listings, stats and the sweep's candidates. Each asks every
 * bucket ({@link Keys.Bucket}; one on a server) with one function call, all sent together ({@link
 * FunctionRunner#callEach}), and merges the answers: listings by {@code (createdAt, id)}, stats by adding up, sweep
 * candidates taking each bucket's in turn.
 */
final class NamespaceReads {
    private final Keys keys;
    private final FunctionRunner functions;

    NamespaceReads(Keys keys, FunctionRunner functions) {
        this.keys = keys;
        this.functions = functions;
    }

    /**
     * A page of {@code q}: the index members newest first after the cursor, the jobs read and re-checked against the
     * filters (a job may have moved or gone between the index walk and the read), more asked for while some fell out.
     */
    Page<JobRecord> page(JobQuery q) {
        String cursor = q.cursor()
                .map(Cursor::decode)
                .map(c -> Keys.member(c.createdAt().toEpochMilli(), c.id()))
                .orElse("");
        int wanted = q.limit() + 1;
        List<JobRecord> out = new ArrayList<>(wanted);
        while (out.size() < wanted) {
            int ask = wanted - out.size();
            List<String> members = newestAfter(q, cursor, ask);
            if (members.isEmpty()) {
                break;
            }
            List<String> ids = new ArrayList<>(members.size());
            for (String m : members) {
                ids.add(m.substring(m.indexOf(':') + 1));
            }
            for (JobRecord r : loadAll(ids)) {
                if (r != null && r.matches(q) && out.size() < wanted) {
                    out.add(r);
                }
            }
            cursor = members.get(members.size() - 1);
            if (members.size() < ask) {
                break;
            }
        }
        boolean more = out.size() > q.limit();
        List<JobRecord> page = more ? out.subList(0, q.limit()) : out;
        Optional<String> next =
                more ? Optional.of(Cursor.after(page.get(page.size() - 1)).encode()) : Optional.empty();
        return new Page<>(page, next);
    }

    /**
     * The index members of the jobs in every index of {@code q}'s filters, newest first after {@code cursor}: at most
     * {@code ask} of each bucket, merged by {@code (createdAt, id)} (the members' order: ids are ASCII, so Java's
     * string order is the byte order {@code BYLEX} uses), the first {@code ask}.
     */
    private List<String> newestAfter(JobQuery q, String cursor, int ask) {
        List<List<String>> indexes =
                keys.buckets().stream().map(b -> b.indexes(q)).toList();
        List<String> members = new ArrayList<>();
        for (List<Object> bucket :
                functions.callEach(Functions.QUERY, indexes, List.of(cursor, Integer.toString(ask)))) {
            for (Object m : bucket) {
                members.add((String) m);
            }
        }
        if (indexes.size() > 1) {
            members.sort(Collections.reverseOrder());
        }
        return members.size() > ask ? members.subList(0, ask) : members;
    }

    /** Reads several job hashes in one pipelined round trip; a missing job is a null. */
    private List<JobRecord> loadAll(List<String> ids) {
        List<String> k = new ArrayList<>(ids.size());
        for (String id : ids) {
            k.add(keys.bucketOf(id).job(id));
        }
        List<JobRecord> out = new ArrayList<>(ids.size());
        for (Map<String, String> h : functions.hashes(k)) {
            out.add(h.isEmpty() ? null : Records.record(h));
        }
        return out;
    }

    /**
     * Every job ({@code root} null): each bucket's state index sizes, added up. A job and its descendants: {@link
     * StatsSum#ofTree}, a walk bucket by bucket.
     */
    JobStats stats(String root) {
        if (root == null) {
            StatsSum sum = new StatsSum();
            List<List<String>> k =
                    keys.buckets().stream().map(Keys.Bucket::states).toList();
            functions.callEach(Functions.COUNT, k, List.of("all", "", "0")).forEach(sum::addCounts);
            return sum.stats();
        }
        return StatsSum.ofTree(keys, root, (b, read, parents) -> {
            List<String> a = new ArrayList<>(3 + read.size() + parents.size());
            a.add("tree");
            a.add(b.prefix);
            a.add(Integer.toString(read.size()));
            a.addAll(read);
            a.addAll(parents);
            return functions.call(Functions.COUNT, b.states(), a);
        });
    }

    /**
     * @return the jobs of {@code kind} due strictly before {@code nowMillis}, at most {@code limit}: each bucket's,
     *     taken in turn from each, so no bucket waits for another's backlog
     */
    List<String> sweepCandidates(SweepKind kind, long nowMillis, int limit) {
        List<List<String>> k =
                keys.buckets().stream().map(b -> List.of(b.due(kind))).toList();
        List<List<Object>> due =
                functions.callEach(Functions.SWEEP, k, List.of(Long.toString(nowMillis), Integer.toString(limit)));
        List<String> out = new ArrayList<>();
        for (int i = 0; out.size() < limit; i++) {
            boolean any = false;
            for (List<Object> bucket : due) {
                if (i < bucket.size() && out.size() < limit) {
                    out.add((String) bucket.get(i));
                    any = true;
                }
            }
            if (!any) {
                break;
            }
        }
        return out;
    }
}
