package minifig.train;

/**
 * The default hyper-parameters of a training run, per kind of model: what `minifig train` uses for every flag
 * the user leaves out. The values come from measurements (docs/results.md): the fine-tuning recipe is the one
 * `minifig tune` ranked first by 5-fold cross-validation on TRAIN; the custom net's is the one we measured.
 *
 * @param lr          base learning rate (the backbone's; a new head trains at lr x headLrScale)
 * @param augment     training augmentation: standard | light | none
 * @param cacheViews  augmented views per photo in the feature cache (fine-tuning head or last stage)
 */
public record Recipe(int epochs, double lr, double momentum, double weightDecay, int imageSize, double headLrScale,
                     String augment, int cacheViews) {

    /** The custom net from scratch: no BatchNorm and nine layers deep, so a small learning rate (0.05 diverges). */
    public static final Recipe CUSTOM = new Recipe(30, 0.01, 0.9, 5e-4, 48, 1, "standard", 1);
    /** A ResNet from random initialisation (slow on 2 cores; for completeness). */
    public static final Recipe RESNET_SCRATCH = new Recipe(30, 0.05, 0.9, 5e-4, 224, 1, "standard", 1);
    /**
     * A pretrained ResNet with a new head: tune's winner on lego36 (5-fold CV on TRAIN, 0.865 +- 0.050; weight
     * decay 0, 1e-4 and 1e-3 tied). Un-augmented, one view: on 2 cores the backbone pass over each photo is the
     * cost of the run, and the tuned recipe was measured that way.
     */
    public static final Recipe FINETUNE = new Recipe(30, 0.001, 0.9, 0, 224, 10, "none", 1);

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

    /** The recipe as train flags. */
    public String flags() {
        return "--epochs " + epochs + " --lr " + lr + " --momentum " + momentum + " --weight-decay " + weightDecay
                + " --image-size " + imageSize + " --augment " + augment + (headLrScale != 1 ? " --head-lr-scale " + headLrScale : "")
                + (cacheViews != 1 ? " --cache-views " + cacheViews : "");
    }
}
