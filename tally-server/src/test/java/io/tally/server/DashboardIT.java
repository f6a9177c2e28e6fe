package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.Tally;
import io.tally.runner.Definition;
import io.tally.runner.Runner;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real headless Chromium: live bars over SSE without a reload, the job page, cancelling from the UI,
 * and a job name that is HTML rendered as text. Screenshots go to {@code target/}.
 *
 * <p>The store is {@code TALLY_IT_STORE} (default: a fresh SQLite file); Chromium and chromedriver come from Debian's
 * packages. Without them the test is skipped, unless {@code TALLY_REQUIRE_SERVICES=1}.
 */
class DashboardIT {
    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final String DRIVER = "/usr/bin/chromedriver";

    @TempDir
    static Path profile;

    static Tally tally;
    static Runner runner;
    static TallyServer server;
    static Http http;
    static WebDriver driver;

    @BeforeAll
    static void start() {
        boolean present = new File(CHROMIUM).canExecute() && new File(DRIVER).canExecute();
        if (!"1".equals(System.getenv("TALLY_REQUIRE_SERVICES"))) {
            Assumptions.assumeTrue(present, "chromium and chromium-driver are not installed");
        }
        String store = System.getenv()
                .getOrDefault(
                        "TALLY_IT_STORE",
                        "sqlite:" + profile.resolve("db/dashboard-it.db").toAbsolutePath());
        tally = Tally.open(store);
        runner = Runner.builder(tally)
                .define(
                        "fetch",
                        ctx -> {
                            ctx.log().info("fetched 3 rows");
                            return 3;
                        },
                        Definition.options().title("Fetch rows"))
                .define("parse", ctx -> ctx.dependencyResult("fetch", Integer.class) * 2, Definition.dependsOn("fetch"))
                .define("report", ctx -> "ok", Definition.dependsOn("parse").title("<b>Report</b>"))
                .build();
        server = TallyServer.builder()
                .tally(tally)
                .runner(runner)
                .port(0)
                .build()
                .start();
        http = new Http(server.url());

        // An explicit driver path keeps Selenium Manager from trying to download one.
        System.setProperty(ChromeDriverService.CHROME_DRIVER_EXE_PROPERTY, DRIVER);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--window-size=1280,1000",
                "--user-data-dir=" + profile.resolve("chrome").toAbsolutePath());
        driver = new ChromeDriver(options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
        if (server != null) {
            server.close();
        }
        if (runner != null) {
            runner.close();
        }
        if (tally != null) {
            tally.close();
        }
    }

    /**
     * A wait that polls every 100 ms. The page re-renders its rows on every live event, so an element found in one
     * step of a condition can be gone by the next: a stale element is a condition not met yet, tried again.
     */
    private static WebDriverWait waitUpTo(int seconds) {
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(seconds), Duration.ofMillis(100));
        wait.ignoring(StaleElementReferenceException.class);
        return wait;
    }

    private static String create(String json) {
        Http.Res r = http.post("/api/jobs", json);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().get("id").asText();
    }

    private static void screenshot(String name) throws Exception {
        File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Path target = Path.of("target", name);
        Files.createDirectories(target.getParent());
        Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
    }

    private static WebElement row(String id) {
        return waitUpTo(20)
                .until(d -> d.findElements(By.cssSelector("tr.job-row[data-id='" + id + "']")).stream()
                        .findFirst()
                        .orElse(null));
    }

    @Test
    void bars_move_live_job_page_cancel_and_escaping() throws Exception {
        String xssName = "<img src=x onerror=alert(1)>";
        String xss =
                create("{\"name\":\"" + xssName + "\",\"scope\":\"<b>bold</b>\",\"message\":\"<script>x()</script>\","
                        + "\"metadata\":{\"note\":\"<svg onload=alert(2)>\"}}");
        driver.get(server.url() + "/");
        waitUpTo(20).until(d -> d.findElement(By.id("live")).getText().equals("live"));
        ((JavascriptExecutor) driver).executeScript("window.__noReload = 42;");

        // A job created through the API appears, and its bar moves to 100 % without a reload.
        String id = create("{\"name\":\"bar-mover\",\"total\":20,\"start\":true}");
        WebElement row = row(id);
        assertThat(row.findElement(By.cssSelector(".name")).getText()).isEqualTo("bar-mover");
        for (int i = 0; i < 10; i++) {
            assertThat(http.post("/api/jobs/" + id + "/progress", "{\"succeeded\":2}")
                            .status())
                    .isEqualTo(200);
            String expected = (i + 1) * 10 + "%";
            // The bar is seen moving: each step shows up live before the next one is sent.
            waitUpTo(20)
                    .until(d -> row(id).findElement(By.cssSelector(".pct"))
                            .getText()
                            .equals(expected));
        }
        waitUpTo(20)
                .until(d ->
                        row(id).findElement(By.cssSelector(".pct")).getText().equals("100%"));
        assertThat(row(id).findElement(By.cssSelector(".bar .ok")).getAttribute("style"))
                .contains("width: 100%");
        assertThat(((JavascriptExecutor) driver).executeScript("return window.__noReload;"))
                .isEqualTo(42L);

        // HTML in a name, scope or message is text, never markup.
        WebElement xssRow = row(xss);
        assertThat(xssRow.findElement(By.cssSelector(".name")).getText()).isEqualTo(xssName);
        assertThat(xssRow.getText()).contains("<b>bold</b>").contains("<script>x()</script>");
        assertThat(driver.findElements(By.cssSelector("#job-rows img"))).isEmpty();
        assertThat(driver.findElements(By.cssSelector("#job-rows b"))).isEmpty();
        assertThatThrownBy(() -> driver.switchTo().alert()).isInstanceOf(NoAlertPresentException.class);
        screenshot("dashboard-list.png");

        // The job page, updated live as the job finishes.
        row(id).findElement(By.cssSelector("a.job-link")).click();
        waitUpTo(20).until(d -> d.findElement(By.id("job-name")).getText().equals("bar-mover"));
        assertThat(driver.findElement(By.id("job-pct")).getText()).isEqualTo("100%");
        http.post("/api/jobs/" + id + "/finish", "{\"result\":{\"rows\":20}}");
        waitUpTo(20).until(d -> d.findElement(By.id("job-state")).getText().equals("SUCCEEDED"));
        waitUpTo(20).until(d -> d.findElement(By.id("job-result")).getText().contains("\"rows\": 20"));
        assertThat(driver.findElement(By.id("cancel-job")).isDisplayed()).isFalse();
        screenshot("dashboard-job.png");

        // The XSS job's own page is text too: its metadata, error and log lines as well.
        tally.get(xss).log("INFO", "<img src=x onerror=alert(3)>");
        assertThat(http.post("/api/jobs/" + xss + "/fail", "{\"error\":\"<script>alert(4)</script>\"}")
                        .status())
                .isEqualTo(200);
        driver.get(server.url() + "/#/jobs/" + xss);
        waitUpTo(20).until(d -> d.findElement(By.id("job-name")).getText().equals(xssName));
        waitUpTo(20).until(d -> d.findElement(By.id("job-error")).getText().contains("<script>alert(4)</script>"));
        waitUpTo(20).until(d -> d.findElement(By.id("logs")).getText().contains("<img src=x onerror=alert(3)>"));
        assertThat(driver.findElement(By.id("job-metadata")).getText()).contains("<svg onload=alert(2)>");
        assertThat(driver.findElements(By.cssSelector("#job-view img, #job-view script, #job-view svg")))
                .isEmpty();
        assertThatThrownBy(() -> driver.switchTo().alert()).isInstanceOf(NoAlertPresentException.class);

        // Cancel from the UI (two clicks: the button, then the confirmation).
        String victim = create("{\"name\":\"to-cancel\",\"total\":100,\"start\":true}");
        driver.get(server.url() + "/#/jobs/" + victim);
        waitUpTo(20).until(d -> d.findElement(By.id("job-name")).getText().equals("to-cancel"));
        driver.findElement(By.id("cancel-job")).click();
        waitUpTo(5).until(d -> d.findElement(By.id("cancel-confirm")).isDisplayed());
        driver.findElement(By.id("cancel-confirm")).click();
        waitUpTo(20).until(d -> d.findElement(By.id("job-state")).getText().equals("CANCELLED"));
        assertThat(http.get("/api/jobs/" + victim).json().get("state").asText()).isEqualTo("CANCELLED");

        // Filters and keyset paging: 30 jobs named "paged", 25 per page.
        String lastPaged = null;
        for (int i = 0; i < 30; i++) {
            lastPaged = create("{\"name\":\"paged\",\"scope\":\"pages\"}");
        }
        driver.get(server.url() + "/#/");
        waitUpTo(20).until(d -> d.findElement(By.id("live")).getText().equals("live"));
        driver.findElement(By.id("f-name")).sendKeys("paged");
        driver.findElement(By.cssSelector("#filters button[type=submit]")).click();
        waitUpTo(20)
                .until(d -> d.findElements(By.cssSelector("#job-rows tr")).size() == 25
                        && d.findElements(By.cssSelector("#job-rows tr")).stream()
                                .allMatch(r -> r.findElement(By.cssSelector(".name"))
                                        .getText()
                                        .equals("paged")));
        driver.findElement(By.id("next-page")).click();
        waitUpTo(20).until(d -> d.findElements(By.cssSelector("#job-rows tr")).size() == 5);
        assertThat(driver.findElement(By.id("next-page")).isEnabled()).isFalse();
        driver.findElement(By.id("first-page")).click();
        waitUpTo(20).until(d -> d.findElements(By.cssSelector("#job-rows tr")).size() == 25);
        driver.findElement(By.id("f-clear")).click();

        // Readable on a phone.
        driver.manage().window().setSize(new Dimension(390, 844));
        driver.get(server.url() + "/");
        row(lastPaged);
        screenshot("dashboard-phone.png");
        Object overflow = ((JavascriptExecutor) driver)
                .executeScript("return document.documentElement.scrollWidth > window.innerWidth + 1;");
        assertThat(overflow).isEqualTo(false);
    }

    @Test
    void with_a_read_token_the_page_asks_for_it_streams_live_and_no_script_can_read_it() throws Exception {
        try (TallyServer guarded = TallyServer.builder()
                .tally(tally)
                .port(0)
                .token("writer-token")
                .readToken("reader-token")
                .build()
                .start()) {
            driver.manage().window().setSize(new Dimension(1280, 1000));
            driver.get(guarded.url() + "/");
            waitUpTo(20).until(d -> d.findElement(By.id("auth")).isDisplayed());
            driver.findElement(By.id("auth-token")).sendKeys("reader-token");
            driver.findElement(By.cssSelector("#auth button[type=submit]")).click();
            waitUpTo(20).until(d -> d.findElement(By.id("live")).getText().equals("live"));

            // The event stream, which cannot send headers, reads with the server's cookie: a new job appears live.
            String id = create("{\"name\":\"seen-with-a-token\"}");
            assertThat(row(id).findElement(By.cssSelector(".name")).getText()).isEqualTo("seen-with-a-token");
            assertThat(((JavascriptExecutor) driver).executeScript("return document.cookie;"))
                    .as("the token cookie is HttpOnly")
                    .isEqualTo("");
        } finally {
            driver.manage().deleteAllCookies();
        }
    }

    @Test
    void a_malformed_job_link_renders_an_error_message() {
        driver.manage().window().setSize(new Dimension(1280, 1000));
        driver.get(server.url() + "/#/jobs/%E0%A4%A");
        waitUpTo(20).until(d -> d.findElement(By.id("job-missing")).isDisplayed());
        assertThat(driver.findElement(By.id("job-missing")).getText()).isEqualTo("No job with id %E0%A4%A");
        // The page still works: the list is one click away.
        driver.findElement(By.id("nav-jobs")).click();
        waitUpTo(20).until(d -> d.findElement(By.id("list-view")).isDisplayed());
    }

    private static WebElement node(String id) {
        return driver.findElement(By.cssSelector("#dep-graph g.gnode[data-id='" + id + "']"));
    }

    @Test
    void definitions_page_draws_the_graph_and_builds() throws Exception {
        driver.manage().window().setSize(new Dimension(1280, 1000));
        driver.get(server.url() + "/");
        driver.findElement(By.id("nav-defs")).click();
        waitUpTo(20)
                .until(d ->
                        d.findElements(By.cssSelector("#dep-graph svg g.gnode")).size() == 3);
        assertThat(driver.getCurrentUrl()).endsWith("#/definitions");

        // One column per layer: fetch, then parse, then report; an edge per dependency; status as a class.
        int xFetch = node("fetch").getRect().getX();
        int xParse = node("parse").getRect().getX();
        int xReport = node("report").getRect().getX();
        assertThat(xFetch).isLessThan(xParse);
        assertThat(xParse).isLessThan(xReport);
        assertThat(driver.findElements(By.cssSelector("#dep-graph line.gedge"))).hasSize(2);
        assertThat(node("fetch").getAttribute("class")).contains("NOT_BUILT");
        assertThat(node("fetch").getText()).contains("Fetch rows");
        // A title with HTML is text in the graph and the table.
        assertThat(node("report").getText()).contains("<b>Report</b>");
        assertThat(driver.findElements(By.cssSelector("#defs-view b"))).isEmpty();
        assertThat(driver.findElement(By.cssSelector("#def-rows tr[data-id='report']"))
                        .getText())
                .contains("<b>Report</b>");
        screenshot("dashboard-definitions.png");

        // Build: the page opens the new build's job page, which follows it to the end and shows its logs.
        driver.findElement(By.cssSelector("#def-rows tr[data-id='fetch'] button.build-btn"))
                .click();
        waitUpTo(20).until(d -> d.getCurrentUrl().contains("#/jobs/"));
        String buildId = driver.getCurrentUrl().substring(driver.getCurrentUrl().indexOf("#/jobs/") + 7);
        waitUpTo(20).until(d -> d.findElement(By.id("job-name")).getText().equals("fetch"));
        waitUpTo(20).until(d -> d.findElement(By.id("job-state")).getText().equals("SUCCEEDED"));
        waitUpTo(20)
                .until(d -> http.get("/api/jobs/" + buildId + "/logs").body().contains("fetched 3 rows"));
        driver.navigate().refresh();
        waitUpTo(20).until(d -> d.findElement(By.id("logs")).getText().contains("fetched 3 rows"));

        // Back on the definitions page the node is green, and links to its last build.
        driver.get(server.url() + "/#/definitions");
        waitUpTo(20).until(d -> node("fetch").getAttribute("class").contains("SUCCEEDED"));
        assertThat(node("parse").getAttribute("class")).contains("NOT_BUILT");
        assertThat(driver.findElement(By.cssSelector("#def-rows tr[data-id='fetch'] a.build-link"))
                        .getText())
                .isEqualTo(buildId);
        node("fetch").click();
        waitUpTo(20).until(d -> d.getCurrentUrl().endsWith("#/jobs/" + buildId));
        assertThatThrownBy(() -> driver.switchTo().alert()).isInstanceOf(NoAlertPresentException.class);
    }
}
