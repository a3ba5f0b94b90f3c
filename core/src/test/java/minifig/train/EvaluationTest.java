package minifig.train;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Metrics from a hand-made confusion matrix whose answers were worked out on paper. */
class EvaluationTest {
    // Three classes: A and B are marvel, C is star-wars.
    static final String[] NAMES = {"A", "B", "C"};
    static final String[] UNIV = {"marvel", "marvel", "star-wars"};

    /**
     * actual A: 3 photos -> A, A, B
     * actual B: 2 photos -> B, C
     * actual C: 1 photo  -> A
     * Confusion: [[2,1,0],[0,1,1],[1,0,0]].
     */
    static Evaluation handMade() {
        int[] actual = {0, 0, 0, 1, 1, 2};
        int[][] ranked = {
            {0, 1, 2}, {0, 2, 1}, {1, 0, 2},
            {1, 0, 2}, {2, 1, 0},
            {0, 1, 2},
        };
        return new Evaluation(NAMES, UNIV, actual, ranked);
    }

    @Test
    void accuracyTop5AndMatrix() {
        Evaluation e = handMade();
        assertArrayEquals(new int[] {2, 1, 0}, e.confusion[0]);
        assertArrayEquals(new int[] {0, 1, 1}, e.confusion[1]);
        assertArrayEquals(new int[] {1, 0, 0}, e.confusion[2]);
        assertEquals(3.0 / 6, e.accuracy(), 1e-12);
        assertEquals(1.0, e.top5(), 1e-12); // only 3 classes: the true class is always in the top 5
        assertEquals(6, e.n);
    }

    @Test
    void topKCountsOnlyTheFirstFive() {
        String[] names = {"0", "1", "2", "3", "4", "5"};
        String[] u = {"x", "x", "x", "x", "x", "x"};
        Evaluation e = new Evaluation(names, u, new int[] {5, 4}, new int[][] {{0, 1, 2, 3, 4, 5}, {0, 1, 2, 3, 4, 5}});
        assertEquals(0.5, e.top5(), 1e-12);
        assertEquals(0.0, e.accuracy(), 1e-12);
    }

    @Test
    void perClassPrecisionRecallF1() {
        List<Evaluation.ClassRow> rows = handMade().perClass();
        Evaluation.ClassRow a = rows.get(0), b = rows.get(1), c = rows.get(2);
        // A: tp 2, fn 1, fp 1 (the C photo) -> p 2/3, r 2/3, f1 2/3
        assertEquals(3, a.n());
        assertEquals(2, a.tp()); assertEquals(1, a.fn()); assertEquals(1, a.fp());
        assertEquals(2.0 / 3, a.precision(), 1e-12);
        assertEquals(2.0 / 3, a.recall(), 1e-12);
        assertEquals(2.0 / 3, a.f1(), 1e-12);
        // B: tp 1, fn 1, fp 1 -> 0.5 each
        assertEquals(0.5, b.precision(), 1e-12);
        assertEquals(0.5, b.recall(), 1e-12);
        // C: tp 0, fn 1, fp 1 -> 0
        assertEquals(0, c.tp()); assertEquals(1, c.fn()); assertEquals(1, c.fp());
        assertEquals(0.0, c.f1(), 1e-12);
        double[] m = handMade().macro();
        assertEquals((2.0 / 3 + 0.5 + 0) / 3, m[2], 1e-12);
    }

    @Test
    void mostConfusedAndUniverses() {
        Evaluation e = handMade();
        List<Evaluation.Pair> pairs = e.mostConfused(10);
        assertEquals(3, pairs.size());
        assertEquals(new Evaluation.Pair(0, 1, 1), pairs.get(0)); // ties ordered by actual, then predicted
        // Universe: A->B stays marvel (ok), B->C crosses (wrong), C->A crosses (wrong): 4 of 6 right.
        assertEquals(4.0 / 6, e.universeAccuracy(), 1e-12);
        Evaluation.UniverseRow marvel = e.perUniverse().get(0);
        assertEquals("marvel", marvel.universe());
        assertEquals(5, marvel.n());
        assertEquals(3, marvel.characterCorrect());
        assertEquals(4, marvel.universeCorrect());
    }

    @Test
    void rankSortsByScoreThenIndex() {
        assertArrayEquals(new int[] {2, 0, 1, 3}, Evaluation.rank(new float[] {0.5f, 0.1f, 0.9f, 0.1f}));
    }

    @Test
    void textAndCsvReports() {
        Evaluation e = handMade();
        String txt = e.format();
        assertTrue(txt.startsWith("accuracy: 0.5000 (3/6)"), txt);
        assertTrue(txt.contains("A -> B: 1"), txt);
        assertTrue(e.confusionCsv().startsWith("actual\\predicted,A,B,C\nA,2,1,0\n"), e.confusionCsv());
        assertEquals(0.5, (double) e.toJson().get("accuracy"), 1e-12);
    }
}
