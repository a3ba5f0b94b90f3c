package minifig.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bench's Python scripts (compare.py, jmh_report.py, flags_ab.py; benchargs.py) stop on bad input with one line
 * "SCRIPT: error: ..." naming the argument or file, and exit status 2, before starting any engine. pytorch_nets.py and
 * pytorch_bench.py import torch, which CI does not install, so they are not run here.
 */
class ScriptArgsTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    /** {status, stdout + stderr} of a bench script run from bench/ (surefire's working directory). */
    private static String[] run(String script, String... args) throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(PYTHON), "no /usr/bin/python3");
        List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), script));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {       // a script that went on to start its engines: stop them all
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail("still running after 60 s: " + cmd);
        }
        return new String[] {Integer.toString(p.exitValue()), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)};
    }

    private static void assertOneLineError(String expected, String script, String... args) throws Exception {
        String[] r = run(script, args);
        String what = script + " " + String.join(" ", args) + " -> " + r[1];
        assertEquals("2", r[0], what);
        assertEquals(1, r[1].strip().lines().count(), what);
        assertTrue(r[1].startsWith(script + ": error: "), what);
        assertTrue(r[1].contains(expected), "expected '" + expected + "' in: " + what);
    }

    @Test
    void compareRejectsBadArgumentsBeforeStartingEngines() throws Exception {
        assertOneLineError("argument --cases: expected CASE:BATCH", "compare.py", "--cases", "resnet18_fwd");
        assertOneLineError("unknown case 'resnet19_fwd'", "compare.py", "--cases", "resnet19_fwd:8");
        assertOneLineError("BATCH: expected a whole number >= 1, got 'x'", "compare.py", "--cases", "resnet18_fwd:x");
        assertOneLineError("argument --rounds: expected a whole number >= 1, got '0'", "compare.py", "--rounds", "0");
        assertOneLineError("argument --threads", "compare.py", "--threads", "1", "two");
        assertOneLineError("/nonexistent.jar: no such file", "compare.py", "--ab", "/nonexistent.jar");
        assertOneLineError("unrecognized arguments: --bogus", "compare.py", "--bogus");
    }

    @Test
    void jmhReportNamesTheBadFile(@TempDir Path dir) throws Exception {
        Path notJson = Files.writeString(dir.resolve("a.json"), "# not json\n");
        Path notJmh = Files.writeString(dir.resolve("b.json"), "[1, 2]");
        assertOneLineError(dir.resolve("missing.json") + ": no such file", "jmh_report.py", dir.resolve("missing.json").toString());
        assertOneLineError(notJson + ": not JSON (line 1, column 1", "jmh_report.py", notJson.toString());
        assertOneLineError(notJmh + ": not JMH results", "jmh_report.py", notJmh.toString());
    }

    @Test
    void jmhReportTablesGoodResults(@TempDir Path dir) throws Exception {
        // one GemmBench result as JMH's -rf json writes it: 10 ops/s and a flops rate of 2.147e10/s -> 21.5 GFLOP/s
        Path ok = Files.writeString(dir.resolve("ok.json"), """
                [{"benchmark": "minifig.bench.GemmBench.ours", "threads": 1, "params": {"shape": "1024x1024x1024"},
                  "primaryMetric": {"score": 10.0, "scoreError": 0.1, "scoreUnit": "ops/s", "rawData": [[10.0]]},
                  "secondaryMetrics": {"flops": {"score": 2.147483648E10, "scoreError": 1.0E8, "scoreUnit": "#/s",
                                                 "rawData": [[2.147483648E10]]}}}]
                """);
        String[] r = run("jmh_report.py", ok.toString());
        assertEquals("0", r[0], r[1]);
        assertTrue(r[1].contains("1024x1024x1024") && r[1].contains("21.5"), r[1]);
    }

    @Test
    void flagsAbChecksItsPositionalArguments() throws Exception {
        assertOneLineError("argument ROUNDS: expected a whole number >= 1, got 'six'", "flags_ab.py",
                "six", "1", "resnet18_train", "32", "1", "a=-Xmx1g");
        assertOneLineError("argument CASE: unknown case 'resnet18'", "flags_ab.py", "6", "1", "resnet18", "32", "1", "a=-Xmx1g");
        assertOneLineError("expected NAME='FLAGS'", "flags_ab.py", "6", "1", "resnet18_train", "32", "1", "xmx");
    }
}
