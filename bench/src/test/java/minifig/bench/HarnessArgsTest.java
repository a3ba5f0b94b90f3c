package minifig.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.function.Supplier;
import minifig.BadInputException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The bench harnesses' command lines: every bad argument ends in one line "error: ..." that names it and exit status 2,
 * before any timing starts (the commands below would otherwise run for seconds to minutes); good arguments parse to
 * the values the harnesses use.
 */
class HarnessArgsTest {
    /** Runs command with args; returns {status, stderr}. */
    private static String[] execute(Object command, String... args) {
        CommandLine cl = Harness.commandLine(command);
        StringWriter err = new StringWriter(), out = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(out));
        int status = cl.execute(args);
        return new String[] {Integer.toString(status), err.toString(), out.toString()};
    }

    private static void assertOneLineError(Supplier<Object> command, String expected, String... args) {
        String[] r = execute(command.get(), args);
        String what = String.join(" ", args) + " -> " + r[1];
        assertEquals("2", r[0], what);
        assertTrue(r[1].startsWith("error: "), what);
        assertEquals(1, r[1].strip().lines().count(), what);
        assertTrue(r[1].contains(expected), "expected '" + expected + "' in: " + what);
    }

    @Test
    void unknownOptionsAreOneLineErrorsInEveryHarness() {
        List<Supplier<Object>> all = List.of(ConvForwardAB::new, ConvBackwardAB::new, Interleaved::new, LayerProfile::new,
                StepCpu::new, StreamBandwidth::new, CoreLatency::new, NetDriver::new);
        for (Supplier<Object> c : all) assertOneLineError(c, "'--bogus'", "--bogus");
    }

    @Test
    void badValuesNameTheFieldAndWhatWasExpected() {
        assertOneLineError(ConvForwardAB::new, "expected G,C,H,K,stride,pad,O", "1x2");
        assertOneLineError(ConvForwardAB::new, "kernel is larger than the padded 4x4 image", "1,3,4,7,1,0,2");
        assertOneLineError(ConvForwardAB::new, "field pad must be >= 0", "1,3,8,3,1,-1,2");
        assertOneLineError(ConvBackwardAB::new, "field stride must be >= 1", "8,64,56,3,0,1,64");
        assertOneLineError(ConvBackwardAB::new, "--rounds", "--rounds", "0");
        assertOneLineError(Interleaved::new, "expected MxNxK", "1x2");
        assertOneLineError(Interleaved::new, "got '0x2x3'", "0x2x3");
        assertOneLineError(Interleaved::new, "fit a Java array", "100000x100000x8");
        assertOneLineError(Interleaved::new, "'x' is not an int", "--threads", "1,x");
        assertOneLineError(Interleaved::new, "add 1 to --threads", "--threads", "2", "--parts", "8x8x8");
        assertOneLineError(LayerProfile::new, "expected one of [resnet18, custom]", "--net", "foo");
        assertOneLineError(LayerProfile::new, "--batch: expected a whole number >= 1, got 0", "--batch", "0");
        assertOneLineError(StepCpu::new, "unknown case 'foo'", "--net", "foo");
        assertOneLineError(StepCpu::new, "unknown conv mode 'back'", "--net", "back/layer2_128_28_128_3_1_1");
        assertOneLineError(StepCpu::new, "got 'x_1_2'", "--net", "train/x_1_2");
        assertOneLineError(StreamBandwidth::new, "got 'abc'", "abc");
        assertOneLineError(StreamBandwidth::new, "got '99999'", "99999");
        assertOneLineError(CoreLatency::new, "--trips: expected a whole number >= 1", "--trips", "-3");
        assertOneLineError(NetDriver::new, "unknown case 'foo'", "--rss", "foo", "1", "1", "1");
        assertOneLineError(NetDriver::new, "BATCH: expected a whole number >= 1, got '0'", "--rss", "resnet18_fwd", "0", "1", "1");
        assertOneLineError(NetDriver::new, "requires at least 4 values", "--rss", "resnet18_fwd", "1", "1");
    }

    @Test
    void helpPrintsUsageAndSucceeds() {
        String[] r = execute(new Interleaved(), "--help");
        assertEquals("0", r[0]);
        assertTrue(r[2].startsWith("Usage: Interleaved"), r[2]);
        assertTrue(r[2].contains("--parts") && r[2].contains("MxNxK"), r[2]);
    }

    @Test
    void goodArgumentsParseToTheirFields() {
        LayerArg l = LayerArg.parse("8,128,28,3,2,1,256");
        assertArrayEquals(new int[] {8, 128, 28, 3, 2, 1, 256, 14},
                new int[] {l.images(), l.C(), l.H(), l.K(), l.stride(), l.pad(), l.O(), l.OH()});
        assertArrayEquals(new int[] {128, 6272, 1152}, GemmShape.dims("128x6272x1152"));
        Interleaved i = new Interleaved();
        new CommandLine(i).parseArgs("--threads", "2", "--rounds", "3", "--refs", "64x64x64", "8x8x8");
        assertArrayEquals(new int[] {2}, i.threadCounts);   // replaces the default 1,2
        assertEquals(3, i.rounds);
        assertEquals(List.of("64x64x64", "8x8x8"), i.shapes);
        for (String c : List.of("peak", "resnet18_fwd", "resnet18_train", "resnet50keras_fwd", "custom_fwd", "custom_train",
                "fwd/layer2_128_28_128_3_1_1", "fwd-gemm/stem_3_224_64_7_2_3", "train/ds_64_56_128_1_2_0")) {
            NetCase.check(c);
        }
    }

    @Test
    void netDriverRequestsAreCheckedFieldByField() {
        NetDriver.Request q = NetDriver.Request.parse("  resnet18_train 32 2 3 ");
        assertEquals(new NetDriver.Request("resnet18_train", 32, 2, 3), q);
        assertTrue(assertThrows(BadInputException.class, () -> NetDriver.Request.parse("resnet18_fwd 8 2"))
                .getMessage().contains("CASE BATCH THREADS REPS"));
        assertTrue(assertThrows(BadInputException.class, () -> NetDriver.Request.parse("resnet18_fwd 8 two 3"))
                .getMessage().startsWith("THREADS: expected a whole number >= 1, got 'two'"));
        assertTrue(assertThrows(BadInputException.class, () -> NetDriver.Request.parse("resnet19_fwd 8 2 3"))
                .getMessage().contains("unknown case 'resnet19_fwd'"));
    }
}
