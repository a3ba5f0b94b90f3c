package minifig.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class TensorTest {
    @Test
    void nchwIndexIsRowMajor() {
        Tensor t = new Tensor(2, 3, 4, 5);
        assertEquals(((1 * 3 + 2) * 4 + 3) * 5 + 4, t.idx(1, 2, 3, 4));
        t.set(7f, 1, 2, 3, 4);
        assertEquals(7f, t.data[t.idx(1, 2, 3, 4)]);
        assertEquals(7f, t.get(1, 2, 3, 4));
    }

    @Test
    void reshapeSharesDataAndChecksSize() {
        Tensor t = new Tensor(2, 6);
        Tensor r = t.reshape(3, 4);
        r.data[5] = 1f;
        assertEquals(1f, t.data[5]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.reshape(5, 5));
        assertTrue(e.getMessage().contains("[5, 5]"), e.getMessage());
    }

    @Test
    void requireShapeNamesBothShapes() {
        Tensor t = new Tensor(1, 3, 8, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.requireShape("conv1 input", 1, 1, 8, 8));
        assertEquals("conv1 input: expected shape [1, 1, 8, 8], got [1, 3, 8, 8]", e.getMessage());
    }
}
