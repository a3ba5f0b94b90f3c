package minifig.robust;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import minifig.train.SyntheticPhotoSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same contract seen from outside: a real {@code java ... minifig.cli.Main} process given bad input prints
 * one "error: " line on stderr (besides the JVM's incubator-module notice), no stack trace, and exits with 2.
 * The processes run side by side, with C1 only (they compute nothing), to keep the test short.
 */
class ProcessCliTest {
    @TempDir Path tmp;

    @Test
    void badInputGivesOneLineAndStatus2FromARealProcess() throws Exception {
        Path data = SyntheticPhotoSet.write(tmp.resolve("photos"), 2, 1, 16, 1);
        Path ck = Cli.customCheckpoint(data, tmp.resolve("ck.safetensors"), 1);
        Path brokenSt = Cli.resource("robust/st_invalid_json.safetensors"), evil = Cli.resource("io/bad/evil_system.pth");
        Path bomb = Cli.resource("robust/img_bomb.png"), out = tmp.resolve("converted.safetensors");
        Map<String, String[]> cases = new LinkedHashMap<>();
        cases.put(brokenSt + ": header: invalid JSON", new String[] {"predict", "--checkpoint", brokenSt.toString(), bomb.toString()});
        cases.put(evil + ": archive/data.pkl: at byte 2: forbidden global 'posix.system'",
                new String[] {"convert", "--from", "torch", evil.toString(), "--arch", "resnet18", "--out", out.toString()});
        cases.put(bomb + ": expected an image at most 10000 pixels a side", new String[] {"predict", "--checkpoint", ck.toString(), bomb.toString()});
        cases.put("Invalid value for option '--threads': 'many' is not an int", new String[] {"eval", "--checkpoint", ck.toString(), "--threads", "many"});

        List<Process> ps = new ArrayList<>();
        List<Path[]> logs = new ArrayList<>();
        for (String[] args : cases.values()) {
            Path o = Files.createTempFile(tmp, "out", ".txt"), e = Files.createTempFile(tmp, "err", ".txt");
            ps.add(Cli.process(tmp, List.of("-XX:TieredStopAtLevel=1", "-Xshare:auto"), args).redirectOutput(o.toFile()).redirectError(e.toFile()).start());
            logs.add(new Path[] {o, e});
        }
        int i = 0;
        for (String expected : cases.keySet()) {
            Process p = ps.get(i);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "process " + i + " hung");
            Cli.Result r = new Cli.Result(p.exitValue(), Files.readString(logs.get(i)[0]), Files.readString(logs.get(i)[1]));
            Cli.assertBadInputNoOutput(r, expected);
            i++;
        }
        assertFalse(Files.exists(out), "convert left no output");
        assertFalse(Files.exists(Path.of("/tmp/minifig-io-pwned-marker")), "the pickle payload ran");
    }
}
