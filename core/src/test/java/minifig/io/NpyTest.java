package minifig.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import minifig.BadInputException;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NpyTest {
    @TempDir Path dir;

    @Test
    void roundTripIsBitExactForEveryRank() {
        Random rng = new Random(3);
        for (int[] shape : new int[][] {{}, {7}, {2, 3}, {2, 3, 4, 5}, {0, 3}}) {
            Tensor t = new Tensor(shape).randn(rng, 1);
            Path f = dir.resolve("t.npy");
            Npy.write(f, t);
            Tensor r = Npy.read(f);
            assertArrayEquals(shape, r.shape);
            assertArrayEquals(t.data, r.data);
        }
    }

    @Test
    void writesNumpysV1LayoutAlignedTo64() {
        byte[] b = Npy.toBytes(new Tensor(2, 3));
        String header = new String(b, 10, ((b[9] & 0xff) << 8) | (b[8] & 0xff), StandardCharsets.ISO_8859_1);
        assertEquals(1, b[6]);
        assertEquals(0, (10 + header.length()) % 64);
        assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), header);
        assertTrue(header.endsWith(" \n"));
        assertTrue(new String(Npy.toBytes(new Tensor(5)), StandardCharsets.ISO_8859_1).contains("'shape': (5,)"));
    }

    @Test
    void readsFilesWrittenByNumpyV1AndV2() {
        for (String name : new String[] {"npy/nchw_v1.npy", "npy/nchw_v2.npy"}) {
            Tensor t = Npy.read(Fixtures.path(name));
            assertArrayEquals(new int[] {2, 3, 2, 2}, t.shape, name);
            for (int i = 0; i < t.size(); i++) assertEquals((i - 11) / 4f, t.data[i], name);
        }
        Tensor s = Npy.read(Fixtures.path("npy/scalar.npy"));
        assertEquals(0, s.rank());
        assertEquals(1.5f, s.data[0]);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "bad/f64.npy        | header 'descr': expected '<f4' (little-endian float32), found '<f8'",
        "bad/big_endian.npy | header 'descr': expected '<f4' (little-endian float32), found '>f4'",
        "bad/fortran.npy    | header 'fortran_order': expected False (C order), found True",
        "bad/short_data.npy | data: shape [2, 3, 2, 2] needs 96 bytes of float32, found 92 bytes",
        "bad/not_a_zip.pth  | expected the .npy magic",
    })
    void committedBadFilesAreRejected(String name, String message) {
        Path f = Fixtures.path(name);
        BadInputException e = assertThrows(BadInputException.class, () -> Npy.read(f));
        assertEquals(f + ": " + message, e.getMessage().substring(0, Math.min(e.getMessage().length(), (f + ": " + message).length())));
    }

    private String fails(byte[] bytes) throws IOException {
        Path f = dir.resolve("bad.npy");
        Files.write(f, bytes);
        BadInputException e = assertThrows(BadInputException.class, () -> Npy.read(f));
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        return e.getMessage();
    }

    private static byte[] withHeader(int major, String header) {
        byte[] h = header.getBytes(StandardCharsets.ISO_8859_1);
        byte[] b = new byte[10 + h.length];
        System.arraycopy(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0, (byte) h.length, (byte) (h.length >> 8)}, 0, b, 0, 10);
        System.arraycopy(h, 0, b, 10, h.length);
        return b;
    }

    @Test
    void malformedHeaders() throws IOException {
        assertTrue(fails(new byte[3]).contains("expected a .npy file (at least 10 bytes), found 3 bytes"));
        assertTrue(fails(withHeader(9, "{}")).contains("format version: expected 1.0, 2.0 or 3.0, found 9.0"));
        byte[] longHeader = withHeader(1, "{}");
        longHeader[8] = (byte) 0xff;
        assertTrue(fails(longHeader).contains("header length: 255 bytes does not fit in the 12-byte file"));
        assertTrue(fails(withHeader(1, "{'descr': '<f4', 'shape': (2,), }\n")).contains("header 'fortran_order': expected True or False, found nothing"));
        assertTrue(fails(withHeader(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1), }\n"))
                .contains("header at character 54: expected a non-negative integer dimension, found '-1), }\\x0a'"));
        assertTrue(fails(withHeader(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999, 99999, 99999), }\n"))
                .contains("has more than 2^31 elements"));
        assertTrue(fails(withHeader(1, "{'descr': '<f4', 'fortran_order': False 'shape': (1,)}\n"))
                .contains("expected '}'"));
        assertTrue(fails(withHeader(1, "{'descr': <f4}\n")).contains("expected a string, True, False or a tuple"));
    }
}
