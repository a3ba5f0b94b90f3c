package minifig.train;

/**
 * The default hyper-parameters of a training run, per kind of model: what `minifig train` uses for every flag
 * the user leaves out. The values come from measurements (docs/results.md): the fine-tuning recipe is the one
 * `minifig tune` ranked first by 5-fold cross-validation on TRAIN; the custom net's is the one we measured.
 *
 * @param lr          base learning rate (the backbone's; a new head trains at lr x headLrScale)
 * @param augment     training augmentation: standard | light | none
 * @param cacheViews  augmented views per photo in the feature cache (fine-tuning head or last stage)
 * @param resizeRatio the photos' shorter side is resized to round(imageSize x resizeRatio) before the centre crop
 *                    of imageSize (torchvision's 256 / 224 unless the recipe zooms in)
 * @param valFraction share of TRAIN held out for choosing the best epoch (0: train on all of TRAIN, keep the last)
 */
public record Recipe(int epochs, double lr, double momentum, double weightDecay, int imageSize, double headLrScale,
                     String augment, int cacheViews, double resizeRatio, double valFraction) {
    /** torchvision's ImageNet evaluation framing: resize 256, crop 224. */
    public static final double TORCHVISION_RATIO = 256.0 / 224.0;


    /** The custom net from scratch: no BatchNorm and nine layers deep, so a small learning rate (0.05 diverges). */
    public static final Recipe CUSTOM = new Recipe(30, 0.01, 0.9, 5e-4, 48, 1, "standard", 1, TORCHVISION_RATIO, 0.15);
    /** A ResNet from random initialisation (slow on 2 cores; for completeness). */
    public static final Recipe RESNET_SCRATCH = new Recipe(30, 0.05, 0.9, 5e-4, 224, 1, "standard", 1, TORCHVISION_RATIO, 0.15);
    /**
     * A pretrained ResNet with a new head: zoomed in (photos resized to 320, centre crop 224, so the figure
     * fills the crop), each photo and its mirror image in the feature cache, the head trained on standardised
     * features with weight decay 0.03 for 50 epochs (seconds on cached features), on all of TRAIN. Learning
     * rate, weight decay and epochs are `minifig tune`'s winner by 5-fold cross-validation on TRAIN, so no
     * photos are held back for choosing an epoch (docs/results.md).
     */
    public static final Recipe FINETUNE = new Recipe(50, 0.003, 0.9, 0.03, 224, 10, "flip", 2, 320.0 / 224.0, 0.0);

    public static Recipe of(String model, boolean pretrained) {
        if (pretrained) return FINETUNE;
        return "custom".equals(model) ? CUSTOM : RESNET_SCRATCH;
    }

    /** The lines `train --help` ends with. */
    public static String[] helpFooter() {
        return new String[] {"", "Flags marked 'recipe' default to the measured recipe of the model (docs/results.md):",
                "  custom net:               " + CUSTOM.flags(),
                "  pretrained (--weights):   " + FINETUNE.flags(),
                "  ResNet from scratch:      " + RESNET_SCRATCH.flags()};
    }

    /** The resize for an input of {@code size} pixels. */
    public int resize(int size) { return (int) Math.round(size * resizeRatio); }

    /** The recipe as train flags. */
    public String flags() {
        return "--epochs " + epochs + " --lr " + lr + " --momentum " + momentum + " --weight-decay " + weightDecay
                + " --image-size " + imageSize + " --augment " + augment + (headLrScale != 1 ? " --head-lr-scale " + headLrScale : "")
                + (cacheViews != 1 ? " --cache-views " + cacheViews : "") + " --resize " + resize(imageSize) + " --val-fraction " + valFraction;
    }
}
