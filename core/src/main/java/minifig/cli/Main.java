package minifig.cli;

/** Entry point of the minifig jar (the CLI lands with the trainer issue). */
public final class Main {
    public static void main(String[] args) {
        System.out.println("minifig-cnn");
    }
}
