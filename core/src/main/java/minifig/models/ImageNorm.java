package minifig.models;

import java.util.Arrays;

/**
 * How a model expects its input photo to be prepared: data for the data pipeline's preprocessing, one
 * instance per architecture ({@link Models#preprocessing}). Both conventions start from 8-bit RGB pixels:
 *
 * <pre>
 * resize the shorter side to {@code resize} (bilinear), centre-crop {@code crop} x {@code crop}, then per pixel
 *   out[c] = (in[src(c)] * scale - mean[c]) / std[c]       c = output channel 0, 1, 2 (NCHW)
 *   src(c) = c for RGB models, 2 - c for BGR models (channel order swapped)
 * </pre>
 *
 * {@link #TORCH} is torchvision's ImageNet recipe (RGB scaled to [0, 1], ImageNet mean/std, resize 256,
 * crop 224). {@link #CAFFE} is Keras' {@code preprocess_input(mode="caffe")} for the Keras ResNet50: BGR
 * order, raw 0..255 values minus the ImageNet mean in B, G, R order, no division. Keras feeds 224x224
 * directly (load_img(target_size=224)); resize 224 + crop 224 is the same for square photos.
 */
public final class ImageNorm {
    /** torch: RGB, x/255, ImageNet mean/std. caffe: BGR, x - mean (0..255 scale), std 1. */
    public enum Mode { TORCH, CAFFE }

    public static final ImageNorm TORCH = new ImageNorm(Mode.TORCH, false, 1f / 255f,
            new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f}, 256, 224);
    public static final ImageNorm CAFFE = new ImageNorm(Mode.CAFFE, true, 1f,
            new float[] {103.939f, 116.779f, 123.68f}, new float[] {1f, 1f, 1f}, 224, 224);

    public final Mode mode;
    /** Whether output channel c is input channel 2 - c (RGB -> BGR). */
    public final boolean bgr;
    /** Multiplier applied to the 0..255 pixel value before subtracting the mean. */
    public final float scale;
    private final float[] mean, std;
    /** Shorter side after resizing, and the side of the centre crop, in pixels. */
    public final int resize, crop;

    public ImageNorm(Mode mode, boolean bgr, float scale, float[] mean, float[] std, int resize, int crop) {
        if (mean.length != 3 || std.length != 3) throw new IllegalArgumentException("mean and std need 3 channels");
        if (crop <= 0 || resize < crop) throw new IllegalArgumentException("need 0 < crop <= resize, got crop "
                + crop + ", resize " + resize);
        this.mode = mode;
        this.bgr = bgr;
        this.scale = scale;
        this.mean = mean.clone();
        this.std = std.clone();
        this.resize = resize;
        this.crop = crop;
    }

    /** Per output channel, in output channel order (B, G, R for a BGR model). */
    public float[] mean() { return mean.clone(); }

    public float[] std() { return std.clone(); }

    /** Normalises one pixel: {@code rgb} holds 0..255 values in R, G, B order; returns the 3 model inputs. */
    public float[] apply(float r, float g, float b) {
        float[] in = {r, g, b}, out = new float[3];
        for (int c = 0; c < 3; c++) out[c] = (in[bgr ? 2 - c : c] * scale - mean[c]) / std[c];
        return out;
    }

    @Override
    public String toString() {
        return "ImageNorm(" + mode + ", " + (bgr ? "BGR" : "RGB") + ", scale=" + scale + ", mean="
                + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + ", resize=" + resize + ", crop=" + crop + ")";
    }
}
