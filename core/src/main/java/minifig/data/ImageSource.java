package minifig.data;

/**
 * Where a loader gets a sample's decoded photo: normally an {@link ImageCache}; tests or very large sets
 * can supply another (e.g. decode on demand with {@code s -> ImageDecoder.decode(s.file())}).
 */
@FunctionalInterface
public interface ImageSource {
    RgbImage get(Sample s);
}
