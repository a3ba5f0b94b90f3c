package minifig.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import minifig.BadInputException;

import java.util.random.RandomGenerator;

/**
 * Training augmentation (the "generate synthetic images" step): every epoch each photo is seen as a new
 * variant. In order: random resized crop to the model input size, horizontal flip (p = 0.5), rotation by a
 * uniform angle in [-maxRotation, maxRotation] degrees, colour jitter with factors uniform in
 * [max(0, 1 - x), 1 + x] for brightness, contrast and saturation. A value of 0 disables a step.
 * All randomness comes from the generator passed to {@link #apply}.
 */
public record Augmentation(double scaleMin, double scaleMax, double ratioMin, double ratioMax, boolean flip,
                           double maxRotation, double brightness, double contrast, double saturation) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);

    public Augmentation {
        if (!(scaleMin > 0 && scaleMin <= scaleMax && scaleMax <= 1)) {
            throw new IllegalArgumentException("augmentation scale: expected 0 < min <= max <= 1, found [" + scaleMin + ", " + scaleMax + "]");
        }
        if (!(ratioMin > 0 && ratioMin <= ratioMax)) {
            throw new IllegalArgumentException("augmentation ratio: expected 0 < min <= max, found [" + ratioMin + ", " + ratioMax + "]");
        }
        if (!(maxRotation >= 0 && maxRotation <= 180 && brightness >= 0 && contrast >= 0 && saturation >= 0)) {
            throw new IllegalArgumentException("augmentation: expected rotation in [0, 180] and non-negative jitter, found " + this);
        }
    }

    /**
     * The default for the minifigure photos: crops covering 35-100% of the photo (torchvision's 8% lower bound
     * would often cut the figure out of a 512x512 shot), ratio 3/4..4/3, flips, +-10 degrees, jitter 0.2.
     */
    public static Augmentation standard() {
        return new Augmentation(0.35, 1.0, 3.0 / 4, 4.0 / 3, true, 10, 0.2, 0.2, 0.2);
    }

    /** Only flips and a mild crop: for quick runs or to compare against {@link #standard()}. */
    public static Augmentation light() {
        return new Augmentation(0.8, 1.0, 3.0 / 4, 4.0 / 3, true, 0, 0, 0, 0);
    }

    /** One augmented {@code size x size} variant of {@code src}. */
    public RgbImage apply(RgbImage src, int size, Resize.Filter filter, RandomGenerator rng) {
        RgbImage img = Transforms.randomResizedCrop(src, size, scaleMin, scaleMax, ratioMin, ratioMax, filter, rng);
        if (flip && rng.nextBoolean()) img = img.flipHorizontal();
        if (maxRotation > 0) img = Transforms.rotate(img, Transforms.uniform(rng, -maxRotation, maxRotation));
        if (brightness > 0 || contrast > 0 || saturation > 0) {
            double b = factor(rng, brightness), c = factor(rng, contrast), s = factor(rng, saturation);
            img = Transforms.colorJitter(img, b, c, s);
        }
        return img;
    }

    private static double factor(RandomGenerator rng, double x) {
        return x == 0 ? 1 : Transforms.uniform(rng, Math.max(0, 1 - x), 1 + x);
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Augmentation fromJson(String json, String source) {
        try {
            return JSON.readValue(json, Augmentation.class);
        } catch (JsonProcessingException e) {
            Throwable c = e.getCause() instanceof IllegalArgumentException ? e.getCause() : e;
            String msg = c == e ? e.getOriginalMessage() : c.getMessage();
            throw new BadInputException(source + ": augmentation: expected a valid object (scaleMin, scaleMax, ratioMin, ratioMax, flip, "
                    + "maxRotation, brightness, contrast, saturation), found an error (" + CsvTable.oneLine(msg) + ")");
        }
    }
}
