package minifig.data;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import minifig.BadInputException;
import minifig.tensor.Tensor;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * How a photo becomes network input, stored with every checkpoint (JSON) so predict and eval apply exactly
 * the transform the model was trained with: resize the shorter side to {@code resize}, centre-crop
 * {@code crop x crop}, then normalise each channel and lay it out CHW.
 *
 * <ul>
 * <li>{@code torch}: RGB order, {@code (v / 255 - mean[c]) / std[c]} (ImageNet: mean 0.485, 0.456, 0.406,
 *     std 0.229, 0.224, 0.225): torchvision's pretrained ResNets.</li>
 * <li>{@code caffe}: BGR order, {@code (v - mean[c]) / std[c]} on 0..255 with mean 103.939, 116.779, 123.68
 *     (B, G, R) and std 1: Keras/Caffe-converted weights.</li>
 * </ul>
 * mean and std are listed in the output channel order (RGB for torch, BGR for caffe).
 */
public record Preprocessing(int resize, int crop, Mode mode, double[] mean, double[] std, Resize.Filter filter) {
    public enum Mode {
        @JsonProperty("torch") TORCH,
        @JsonProperty("caffe") CAFFE
    }

    public static final double[] IMAGENET_MEAN = {0.485, 0.456, 0.406}, IMAGENET_STD = {0.229, 0.224, 0.225};
    public static final double[] CAFFE_MEAN_BGR = {103.939, 116.779, 123.68};

    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);

    public Preprocessing {
        if (mode == null || mean == null || std == null || filter == null) {
            throw new IllegalArgumentException("preprocessing: mode, mean, std and filter are required");
        }
        if (crop < 1 || resize < crop || resize > 4096) {
            throw new IllegalArgumentException("preprocessing: expected 1 <= crop <= resize <= 4096, found resize " + resize + ", crop " + crop);
        }
        if (mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("preprocessing: expected 3 mean and 3 std values, found " + mean.length + " and " + std.length);
        }
        for (double s : std) if (!(s > 0) || Double.isInfinite(s)) throw new IllegalArgumentException("preprocessing: expected std > 0, found " + Arrays.toString(std));
        for (double m : mean) if (!Double.isFinite(m)) throw new IllegalArgumentException("preprocessing: expected finite mean, found " + Arrays.toString(mean));
        mean = mean.clone();
        std = std.clone();
    }

    /** torchvision's ImageNet eval transform: Resize(resize), CenterCrop(crop), ImageNet mean/std. */
    public static Preprocessing torch(int resize, int crop) {
        return new Preprocessing(resize, crop, Mode.TORCH, IMAGENET_MEAN, IMAGENET_STD, Resize.Filter.TRIANGLE);
    }

    /** Caffe-style input: BGR, ImageNet BGR means subtracted on 0..255, no scaling. */
    public static Preprocessing caffe(int resize, int crop) {
        return new Preprocessing(resize, crop, Mode.CAFFE, CAFFE_MEAN_BGR, new double[]{1, 1, 1}, Resize.Filter.TRIANGLE);
    }

    /** A copy (records would otherwise hand out the internal array). */
    @Override
    public double[] mean() { return mean.clone(); }

    @Override
    public double[] std() { return std.clone(); }

    /** Side of the square network input. */
    public int inputSize() { return crop; }

    /** The eval transform without normalisation: shorter side to {@code resize}, centre {@code crop}. */
    public RgbImage resizeAndCrop(RgbImage img) {
        return Resize.shorterSide(img, resize, filter).centerCrop(crop, crop);
    }

    /**
     * Writes {@code img} (crop x crop) normalised into {@code dst} as CHW at {@code offset}:
     * {@code dst[offset + (c * H + y) * W + x]}.
     */
    public void normalizeInto(RgbImage img, float[] dst, int offset) {
        if (img.width != crop || img.height != crop) {
            throw new IllegalArgumentException("normalize: expected a " + crop + "x" + crop + " image, got " + img.width + "x" + img.height);
        }
        int plane = crop * crop;
        byte[] s = img.data;
        for (int c = 0; c < 3; c++) {
            int src = mode == Mode.CAFFE ? 2 - c : c;   // caffe's channel 0 is blue
            float scale = (float) ((mode == Mode.TORCH ? 1 / 255.0 : 1.0) / std[c]);
            float shift = (float) (mean[c] / std[c]);
            int o = offset + c * plane;
            for (int p = 0; p < plane; p++) dst[o + p] = (s[p * 3 + src] & 0xff) * scale - shift;
        }
    }

    /** Already-cropped images as one [N, 3, crop, crop] tensor. */
    public Tensor toTensor(List<RgbImage> cropped) {
        int plane = 3 * crop * crop;
        Tensor t = new Tensor(cropped.size(), 3, crop, crop);
        for (int i = 0; i < cropped.size(); i++) normalizeInto(cropped.get(i), t.data, i * plane);
        return t;
    }

    /** Decodes a photo file and applies the full eval transform: a [1, 3, crop, crop] tensor (for predict). */
    public Tensor load(Path file) {
        return toTensor(List.of(resizeAndCrop(ImageDecoder.decode(file))));
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses {@link #toJson()} output; {@code source} (e.g. the checkpoint file) names it in errors. */
    public static Preprocessing fromJson(String json, String source) {
        try {
            return JSON.readValue(json, Preprocessing.class);
        } catch (JsonProcessingException e) {
            Throwable c = e.getCause() instanceof IllegalArgumentException ? e.getCause() : e;
            String msg = c == e ? e.getOriginalMessage() : c.getMessage();
            throw new BadInputException(source + ": preprocessing: expected {resize, crop, mode (torch|caffe), mean[3], std[3], "
                    + "filter (triangle|box)}, found an error (" + CsvTable.oneLine(msg) + ")");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Preprocessing p && p.resize == resize && p.crop == crop && p.mode == mode
                && Arrays.equals(p.mean, mean) && Arrays.equals(p.std, std) && p.filter == filter;
    }

    @Override
    public int hashCode() {
        return ((resize * 31 + crop) * 31 + mode.hashCode()) * 31 + Arrays.hashCode(mean) * 7 + Arrays.hashCode(std) + filter.hashCode();
    }

    @Override
    public String toString() {
        return mode.name().toLowerCase() + " resize " + resize + " crop " + crop + " mean " + Arrays.toString(mean)
                + " std " + Arrays.toString(std) + " " + filter.name().toLowerCase();
    }
}
