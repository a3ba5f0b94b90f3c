package minifig.data;

import minifig.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class SplitTest {
    private static Set<String> paths(List<Sample> s) {
        Set<String> set = new HashSet<>();
        for (Sample x : s) assertTrue(set.add(x.path()), "duplicate " + x.path());
        return set;
    }

    private static void assertDisjoint(List<Sample> a, List<Sample> b) {
        Set<String> pa = paths(a);
        for (Sample s : b) assertFalse(pa.contains(s.path()), s.path() + " in both parts");
    }

    @Test
    void lego36Is340Over85StratifiedAndDisjoint() {
        Split s = Split.lego36(TestData.real());
        assertEquals(36, s.labels().size());
        assertEquals(340, s.train().size());
        assertEquals(85, s.test().size());
        assertDisjoint(s.train(), s.test());
        Map<Integer, List<Sample>> all = Split.byClass(TestData.real().all());
        for (var e : s.counts().entrySet()) {
            int n = all.get(e.getKey()).size();
            int[] c = e.getValue();
            assertEquals(n, c[0] + c[1], "class " + e.getKey());
            assertEquals(Math.round(0.2 * n), c[1], "class " + e.getKey());
            assertTrue(c[0] > 0 && c[1] > 0, "class " + e.getKey() + " in both parts");
        }
        assertEquals(1, s.labels().idOf(0));
        assertEquals(36, s.labels().idOf(35));
    }

    @Test
    void committedFileIsTheRegeneratedSplit() throws Exception {
        Split s = Split.lego36(TestData.real());
        Path committed = TestData.repoRoot().resolve(SplitGenerator.DEFAULT_OUT);
        assertEquals(s.toCsv(), Files.readString(committed), "data/splits/lego36.csv differs from Split.lego36; rerun SplitGenerator");
        Split read = Split.fromFile(TestData.real(), committed);
        assertEquals(s.train(), read.train());
        assertEquals(s.test(), read.test());
        assertEquals(s.labels(), read.labels());
    }

    @Test
    void otherSeedGivesOtherSplitWithSameCounts() {
        Split a = Split.stratified("x", TestData.real(), 36, 0.2, 7);
        Split b = Split.lego36(TestData.real());
        assertEquals(85, a.test().size());
        assertNotEquals(b.test(), a.test());
    }

    @Test
    void publishedSplit() {
        Split p = Split.load(TestData.real(), "published", null);
        assertEquals(38, p.labels().size());
        assertEquals(371, p.train().size());
        assertEquals(79, p.test().size());
        assertDisjoint(p.train(), p.test());
        assertEquals("lego36", Split.load(TestData.real(), null, null).name());
        var e = assertThrows(BadInputException.class, () -> Split.load(TestData.real(), "nope", null));
        assertEquals("--split nope: expected lego36 or published (or --split-file FILE), found 'nope'", e.getMessage());
    }

    @Test
    void validationCarveIsStratifiedSeededAndLeavesTestAlone() {
        Split s = Split.lego36(TestData.real());
        Fold f = s.carveValidation(0.15, 1);
        assertEquals(s.train().size(), f.train().size() + f.val().size());
        assertDisjoint(f.train(), f.val());
        assertDisjoint(s.test(), f.val());
        assertDisjoint(s.test(), f.train());
        Map<Integer, List<Sample>> tr = Split.byClass(f.train()), va = Split.byClass(f.val()), all = Split.byClass(s.train());
        for (var e : all.entrySet()) {
            int n = e.getValue().size();
            assertEquals(Math.max(1, Math.round(0.15 * n)), va.get(e.getKey()).size(), "class " + e.getKey());
            assertFalse(tr.get(e.getKey()).isEmpty());
        }
        assertEquals(f, s.carveValidation(0.15, 1));
        assertNotEquals(f.val(), s.carveValidation(0.15, 2).val());
        // Even an absurd fraction keeps one training photo per class.
        Fold greedy = s.carveValidation(0.99, 1);
        assertEquals(36, Split.byClass(greedy.train()).size());
        assertThrows(BadInputException.class, () -> s.carveValidation(1.0, 1));
        assertTrue(s.carveValidation(0, 1).val().isEmpty());
    }

    @Test
    void kFoldIsStratifiedDisjointAndCoversTrain() {
        Split s = Split.lego36(TestData.real());
        List<Fold> folds = s.kFold(5, 3);
        assertEquals(5, folds.size());
        List<Sample> allVal = new ArrayList<>();
        for (Fold f : folds) {
            assertEquals(s.train().size(), f.train().size() + f.val().size());
            assertDisjoint(f.train(), f.val());
            assertDisjoint(s.test(), f.val());
            assertDisjoint(s.test(), f.train());
            assertTrue(f.val().size() == 68, "340 / 5 = 68, found " + f.val().size());
            assertEquals(36, Split.byClass(f.train()).size());
            allVal.addAll(f.val());
        }
        assertEquals(paths(s.train()), paths(allVal)); // every train photo is validated exactly once
        // Per class, fold val counts differ by at most one.
        for (var e : Split.byClass(s.train()).entrySet()) {
            int lo = Integer.MAX_VALUE, hi = 0;
            for (Fold f : folds) {
                int c = (int) f.val().stream().filter(x -> x.classId() == e.getKey()).count();
                lo = Math.min(lo, c);
                hi = Math.max(hi, c);
            }
            assertTrue(hi - lo <= 1, "class " + e.getKey());
        }
        assertEquals(folds, s.kFold(5, 3));
        assertNotEquals(folds, s.kFold(5, 4));
        assertThrows(BadInputException.class, () -> s.kFold(1, 3));
    }

    @Test
    void splitFileErrors(@TempDir Path dir) throws Exception {
        Dataset ds = Dataset.open(TestData.fakeSet(dir.resolve("set")));
        Path f = TestData.write(dir, "s.csv", "path,class_id,subset\nmarvel/0001/001.jpg,1,train\nmarvel/0001/002.jpg,1,val\n");
        var e = assertThrows(BadInputException.class, () -> Split.fromFile(ds, f));
        assertEquals(f + ": line 3, field 'subset': expected train or test, found 'val'", e.getMessage());
        TestData.write(dir, "s.csv", "path,class_id,subset\nmarvel/0001/001.jpg,1,train\nstar-wars/0002/001.jpg,2,test\n");
        e = assertThrows(BadInputException.class, () -> Split.fromFile(ds, f));
        assertEquals(f + ": class 2: expected train photos for every class with test photos, found none", e.getMessage());
        TestData.write(dir, "s.csv", "path,class_id\nmarvel/0001/001.jpg,1\n");
        e = assertThrows(BadInputException.class, () -> Split.fromFile(ds, f));
        assertTrue(e.getMessage().endsWith("(missing subset)"));
        TestData.write(dir, "s.csv", "path,class_id,subset\nmarvel/0001/001.jpg,1,train\nmarvel/0001/002.jpg,1,test\n");
        Split ok = Split.fromFile(ds, f);
        assertEquals("s: 1 classes, 1 train / 1 test", ok.toString());
        assertEquals("SPIDER-MAN", ok.labels().displayName(0));
    }

    @Test
    void writeIsReadBack(@TempDir Path dir) throws Exception {
        Dataset ds = Dataset.open(TestData.fakeSet(dir.resolve("set")));
        Split s = Split.stratified("t", ds, 3, 0.25, 5);
        assertEquals(12, s.train().size()); // 5 photos per class, Math.round(0.25 * 5) = 1 test each
        assertEquals(3, s.test().size());
        Path f = dir.resolve("out/t.csv");
        s.write(f);
        Split back = Split.fromFile(ds, f);
        assertEquals(s.train(), back.train());
        assertEquals(s.test(), back.test());
        assertEquals("t", back.name());
    }
}
