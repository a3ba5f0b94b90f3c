package minifig.data;

import java.util.List;
import java.util.Random;

/**
 * Seed derivation and seeded shuffling. One run seed feeds everything; sub-seeds for (purpose, epoch,
 * sample) come from {@link #mix}, so results never depend on the order in which threads ask for them.
 * Shuffles use java.util.Random, whose algorithm the JDK specifies, so splits are the same on every JDK.
 */
public final class Seeds {
    private Seeds() {}

    /** SplitMix64 finaliser: a well-spread 64-bit value from {@code x}. */
    public static long spread(long x) {
        x = (x ^ (x >>> 30)) * 0xbf58476d1ce4e5b9L;
        x = (x ^ (x >>> 27)) * 0x94d049bb133111ebL;
        return x ^ (x >>> 31);
    }

    /** A sub-seed from a seed and any number of coordinates (purpose tag, epoch, sample index, ...). */
    public static long mix(long seed, long... parts) {
        long h = spread(seed + 0x9e3779b97f4a7c15L);
        for (long p : parts) h = spread(h ^ (p + 0x9e3779b97f4a7c15L));
        return h;
    }

    /** Fisher-Yates shuffle in place, from the last element down, with {@code rng.nextInt(i + 1)}. */
    public static <T> void shuffle(List<T> list, Random rng) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            T t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }

    /** Fisher-Yates shuffle of an int array in place. */
    public static void shuffle(int[] a, Random rng) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
