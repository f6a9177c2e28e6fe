package io.tally.server;

import io.tally.Job;
import io.tally.JobQuery;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.Tally;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * A bounded HTTP load run, not a test: 64 client threads over keep-alive connections of {@code java.net.http} against
 * a server on 127.0.0.1, then the time to list the first page of 100,000 jobs filtered by state. Stops by itself.
 *
 * <p>Run: {@code java -cp <test classpath> io.tally.server.HttpLoad sqlite:/tmp/load.db [seconds]}.
 */
public final class HttpLoad {
    private static int CONNECTIONS = 64;

    private HttpLoad() {}

    public static void main(String[] args) throws Exception {
        String store = args.length > 0 ? args[0] : "memory:";
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        CONNECTIONS = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        try (Tally tally = Tally.open(store);
                TallyServer server = TallyServer.builder()
                        .tally(tally)
                        .port(0)
                        .sweepInterval(null)
                        .build()
                        .start()) {
            HttpClient client =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            Job job = tally.create(JobSpec.builder().name("load").start(true).build());
            URI get = URI.create(server.url() + "/api/jobs/" + job.id());
            URI post = URI.create(server.url() + "/api/jobs/" + job.id() + "/progress");
            HttpRequest getReq = HttpRequest.newBuilder(get).build();
            HttpRequest postReq = HttpRequest.newBuilder(post)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"succeeded\":1}"))
                    .header("Content-Type", "application/json")
                    .build();
            run("warm-up", client, getReq, 3);
            System.out.printf("store %s, %d connections, %d s each%n", store, CONNECTIONS, seconds);
            System.out.printf("GET  /api/jobs/{id}      %8.0f req/s%n", run("get", client, getReq, seconds));
            System.out.printf("POST /api/jobs/{id}/progress %8.0f req/s%n", run("post", client, postReq, seconds));
            System.out.printf("succeeded after the run: %d%n", job.progress().succeeded());

            int n = 100_000;
            long existing =
                    tally.stats().values().stream().mapToLong(Long::longValue).sum();
            long t0 = System.nanoTime();
            for (long i = existing; i < n; i++) {
                tally.create(JobSpec.builder().name("bulk").start(i % 3 == 0).build());
            }
            System.out.printf("created %d jobs in %.1f s%n", n - existing, (System.nanoTime() - t0) / 1e9);
            HttpRequest list = HttpRequest.newBuilder(URI.create(server.url() + "/api/jobs?state=RUNNING&limit=50"))
                    .build();
            double[] ms = new double[50];
            for (int i = 0; i < ms.length; i++) {
                long s = System.nanoTime();
                HttpResponse<String> r = client.send(list, HttpResponse.BodyHandlers.ofString());
                ms[i] = (System.nanoTime() - s) / 1e6;
                if (r.statusCode() != 200) {
                    throw new IllegalStateException(r.body());
                }
            }
            Arrays.sort(ms);
            System.out.printf(
                    "GET /api/jobs?state=RUNNING&limit=50 over %d jobs (%d RUNNING): median %.1f ms, p90 %.1f ms%n",
                    n, tally.stats().get(JobState.RUNNING), ms[ms.length / 2], ms[(int) (ms.length * 0.9)]);
            long s = System.nanoTime();
            tally.query(JobQuery.builder().state(JobState.RUNNING).limit(50).build());
            System.out.printf("same page through the Java API: %.1f ms%n", (System.nanoTime() - s) / 1e6);
        }
    }

    private static double run(String name, HttpClient client, HttpRequest req, int seconds) throws Exception {
        LongAdder ok = new LongAdder();
        LongAdder bad = new LongAdder();
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < CONNECTIONS; i++) {
            Thread t = new Thread(() -> {
                while (System.nanoTime() < end) {
                    try {
                        HttpResponse<Void> r = client.send(req, HttpResponse.BodyHandlers.discarding());
                        (r.statusCode() == 200 ? ok : bad).increment();
                    } catch (Exception e) {
                        bad.increment();
                    }
                }
            });
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        if (bad.sum() > 0) {
            System.out.printf("%s: %d failed requests%n", name, bad.sum());
        }
        return ok.sum() / ((System.nanoTime() - start) / 1e9);
    }
}
