package minifig.data;

import java.nio.file.Path;

/**
 * Regenerates the committed lego36 split file:
 * {@code SplitGenerator.main("--data", DIR, "--out", "data/splits/lego36.csv")} (both optional; defaults are
 * {@link DataDir#resolve} and data/splits/lego36.csv). Prints the counts it wrote.
 */
public final class SplitGenerator {
    public static final Path DEFAULT_OUT = Path.of("data", "splits", "lego36.csv");

    private SplitGenerator() {}

    /** Generates lego36 from the data folder {@code dataDir} and writes it to {@code out}. */
    public static Split generate(Path dataDir, Path out) {
        Split s = Split.lego36(Dataset.open(dataDir));
        s.write(out);
        return s;
    }

    public static void main(String[] args) {
        String data = null;
        Path out = DEFAULT_OUT;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--data" -> data = args[++i];
                case "--out" -> out = Path.of(args[++i]);
                default -> {
                    System.err.println("usage: SplitGenerator [--data DIR] [--out FILE]");
                    System.exit(2);
                }
            }
        }
        try {
            Split s = generate(DataDir.resolve(data), out);
            System.out.println("wrote " + out + ": " + s);
        } catch (minifig.BadInputException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
    }
}
