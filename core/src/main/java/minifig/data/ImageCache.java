package minifig.data;

import minifig.BadInputException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Every photo decoded once and kept as bytes, downscaled so its shorter side is {@code shorterSide}
 * (photos already that small are kept as they are). With shorterSide = {@link Preprocessing#resize()} the
 * eval transform from the cache is exactly the transform from the file. 425 photos at 256x256 take 84 MB.
 */
public final class ImageCache implements ImageSource {
    private final Map<Path, RgbImage> images;
    private final int shorterSide;
    private final Resize.Filter filter;

    private ImageCache(Map<Path, RgbImage> images, int shorterSide, Resize.Filter filter) {
        this.images = images;
        this.shorterSide = shorterSide;
        this.filter = filter;
    }

    /** {@link #build(Collection, int, Resize.Filter, int, IntConsumer)} with no progress callback. */
    public static ImageCache build(Collection<Sample> samples, int shorterSide, Resize.Filter filter, int threads) {
        return build(samples, shorterSide, filter, threads, null);
    }

    /**
     * Decodes the photos of {@code samples} on {@code threads} threads. {@code progress} (may be null) is
     * called with the number done after each photo. Bad photos: a BadInputException naming the first one in
     * sample order, and how many others failed.
     */
    public static ImageCache build(Collection<Sample> samples, int shorterSide, Resize.Filter filter, int threads, IntConsumer progress) {
        if (shorterSide < 1) throw new IllegalArgumentException("cache size " + shorterSide);
        List<Path> files = new ArrayList<>(new LinkedHashSet<>(samples.stream().map(Sample::file).toList()));
        Map<Path, RgbImage> images = new ConcurrentHashMap<>();
        AtomicInteger done = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "minifig-decode");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Path f : files) {
                futures.add(pool.submit(() -> {
                    RgbImage img = ImageDecoder.decode(f);
                    if (img.shorterSide() > shorterSide) img = Resize.shorterSide(img, shorterSide, filter);
                    images.put(f, img);
                    int n = done.incrementAndGet();
                    if (progress != null) progress.accept(n);
                }));
            }
            BadInputException first = null;
            int failed = 0;
            for (Future<?> fu : futures) {
                try {
                    fu.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    failed++;
                    if (first == null) {
                        first = e.getCause() instanceof BadInputException b ? b
                                : new BadInputException("decoding photos: " + e.getCause(), e.getCause());
                    }
                }
            }
            if (first != null) {
                throw failed == 1 ? first : new BadInputException(first.getMessage() + " (and " + (failed - 1) + " more bad photos)", first);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while decoding photos", e);
        } finally {
            pool.shutdownNow();
        }
        return new ImageCache(images, shorterSide, filter);
    }

    /** The cached image of {@code s}; IllegalArgumentException when it was not part of the build. */
    @Override
    public RgbImage get(Sample s) {
        RgbImage img = images.get(s.file());
        if (img == null) throw new IllegalArgumentException("photo not in the image cache: " + s.path());
        return img;
    }

    public boolean contains(Sample s) { return images.containsKey(s.file()); }

    public int size() { return images.size(); }

    public int shorterSide() { return shorterSide; }

    public Resize.Filter filter() { return filter; }

    /** Pixel bytes held. */
    public long bytes() {
        long b = 0;
        for (RgbImage i : images.values()) b += i.bytes();
        return b;
    }
}
