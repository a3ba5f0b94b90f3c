package minifig.train;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Everything that defines a training run, resolved (no nulls for choices the trainer made): echoed at the
 * start, saved as config.json in the run folder and inside every checkpoint, so a run can be repeated and
 * resumed exactly. One {@code seed} drives initialisation, the validation carve, shuffling and augmentation.
 *
 * @param model        architecture name (see Models.NAMES)
 * @param weights      pretrained weights file (safetensors) or null for random initialisation
 * @param finetune     what trains when weights are given: head | last-stage | all
 * @param data         the photo-set folder (absolute)
 * @param split        lego36 | published | file
 * @param splitFile    the split file when split = file
 * @param valFraction  share of each class's TRAIN photos held out for model selection
 * @param imageSize    network input side (the centre crop); photos are resized so the shorter side is
 *                     resize = round(imageSize * 256 / 224) first, as torchvision does
 * @param augment      standard | light | none
 * @param schedule     step | cosine | constant; stepSize/gamma for step; warmup epochs for any of them
 * @param headLrScale  learning-rate multiplier of a new head relative to the backbone (fine-tuning)
 * @param cacheViews   augmented views per training photo in the feature cache (finetune head|last-stage)
 * @param patience     stop when validation accuracy has not improved for this many epochs (0 = never)
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record TrainConfig(
        String model, String weights, String finetune,
        String data, String split, String splitFile, double valFraction,
        int epochs, int batchSize, double lr, double momentum, double weightDecay, boolean nesterov,
        String schedule, int stepSize, double gamma, int warmup,
        int imageSize, int resize, String augment, double headLrScale, int cacheViews, int patience,
        long seed, int threads, String out) {

    /** One line per setting, for the start of a run. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("model        %s%s%n", model, weights == null ? " (random init)" : " from " + weights + ", fine-tune " + finetune
                + (finetune.equals("all") ? "" : ", feature cache of " + cacheViews + " views per photo")));
        sb.append(String.format("data         %s%n", data));
        sb.append(String.format("split        %s%s, validation %.0f%% of train%n", split, splitFile == null ? "" : " " + splitFile, valFraction * 100));
        sb.append(String.format("images       %dx%d (resize %d), augmentation %s%n", imageSize, imageSize, resize, augment));
        sb.append(String.format("optimizer    SGD lr %s momentum %s weight decay %s%s%s%n", lr, momentum, weightDecay,
                nesterov ? " nesterov" : "", weights == null ? "" : ", head lr x" + headLrScale));
        sb.append(String.format("schedule     %s%s, warm-up %d epochs%n", schedule,
                "step".equals(schedule) ? " (every " + stepSize + " epochs x" + gamma + ")" : "", warmup));
        sb.append(String.format("epochs       %d, batch %d, patience %s%n", epochs, batchSize, patience == 0 ? "off" : patience));
        sb.append(String.format("seed         %d, threads %d%n", seed, threads));
        sb.append(String.format("out          %s%n", out));
        return sb.toString();
    }
}
