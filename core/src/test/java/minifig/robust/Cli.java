package minifig.robust;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import minifig.cli.Main;
import minifig.data.Dataset;
import minifig.data.LabelSet;
import minifig.data.Preprocessing;
import minifig.data.Split;
import minifig.io.Metadata;
import minifig.models.Models;
import minifig.nn.Module;
import minifig.train.Checkpoint;

/**
 * Runs the CLI the way a user does, in-process ({@link Main#run}) or as a real {@code java} process, and checks
 * the robustness contract: exit status 2, exactly one stderr line "error: ..." naming the file, no stack trace.
 */
final class Cli {
    private Cli() {}

    record Result(int code, String out, String err) {
        List<String> errLines() {
            // The JVM's own notice about the incubator module is not ours (it only appears in a real process).
            return err.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** Main.run with System.out/err captured (synchronized: the streams are global). */
    static synchronized Result run(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            code = Main.run(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new Result(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    /** {@code java ... minifig.cli.Main args} with this JVM and the test class path. */
    static ProcessBuilder process(Path workDir, String... args) {
        return process(workDir, List.of(), args);
    }

    /** With extra JVM flags, e.g. -XX:TieredStopAtLevel=1 for quick runs that compute nothing (never for training). */
    static ProcessBuilder process(Path workDir, List<String> jvmFlags, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Xmx512m"));
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "minifig.cli.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(workDir.toFile());
    }

    /** Runs {@link #process} to completion (at most 120 s). */
    static Result runProcess(Path workDir, String... args) {
        try {
            Path out = Files.createTempFile("minifig-out", ".txt"), err = Files.createTempFile("minifig-err", ".txt");
            Process p = process(workDir, args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("minifig " + String.join(" ", args) + " did not finish in 120 s");
            }
            Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
            Files.delete(out);
            Files.delete(err);
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * Exit 2, one stderr line "error: " that contains every {@code mustContain} (the file, the field...), and no
     * exception class name or stack frame anywhere in the output. Returns the message.
     */
    static String assertBadInput(Result r, String... mustContain) {
        assertEquals(2, r.code, () -> "exit status\n" + r);
        List<String> lines = r.errLines();
        assertEquals(1, lines.size(), () -> "stderr lines\n" + r);
        String msg = lines.get(0);
        assertTrue(msg.startsWith("error: "), () -> "stderr must start with 'error: '\n" + r);
        for (String s : mustContain) assertTrue(msg.contains(s), () -> "expected '" + s + "' in the message\n" + r);
        for (String bad : new String[] {"Exception", "\tat ", "Error:"}) {
            assertFalse(r.out.contains(bad) || r.err.contains(bad), () -> "'" + bad + "' in the output\n" + r);
        }
        return msg;
    }

    /** Like {@link #assertBadInput} for commands that print their results at the end: nothing on stdout. */
    static String assertBadInputNoOutput(Result r, String... mustContain) {
        String msg = assertBadInput(r, mustContain);
        assertEquals("", r.out, () -> "stdout must stay empty on an error\n" + r);
        return msg;
    }

    static Path resource(String name) {
        var url = Cli.class.getResource("/" + name);
        if (url == null) throw new IllegalStateException("missing test resource " + name + " (run robust/gen_robust_fixtures.py)");
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An untrained custom-net checkpoint over the labels of a synthetic set's published split, at 16x16. */
    static Path customCheckpoint(Path data, Path file, long seed) {
        LabelSet labels = Split.load(Dataset.open(data), "published", null).labels();
        Module m = Models.create("custom", labels.size(), 3, seed);
        Metadata md = Checkpoint.metadata("custom", 3, labels, Preprocessing.torch(18, 16));
        md.put("epoch", "1").put("split", "published");
        Checkpoint.save(file, m, md);
        return file;
    }

    /** {@code base} with each flag of {@code more} replacing that flag's value in base, or appended (with its value). */
    static String[] args(List<String> base, String... more) {
        List<String> a = new ArrayList<>(base);
        for (int i = 0; i < more.length; i++) {
            int at = a.indexOf(more[i]);
            boolean valued = i + 1 < more.length && (!more[i + 1].startsWith("--") || more[i + 1].matches("-\\d.*"));
            if (at >= 0 && valued) a.set(at + 1, more[++i]);
            else {
                a.add(more[i]);
                if (valued) a.add(more[++i]);
            }
        }
        return a.toArray(new String[0]);
    }

    /** Every file under {@code dir} (relative names), for "nothing was left behind" checks. */
    static List<String> files(Path dir) {
        if (!Files.exists(dir)) return List.of();
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
