package minifig;

/**
 * A problem with something the user gave us (a file, a flag, a photo), as opposed to a bug.
 *
 * The message is ONE line that names the file, the field or tensor, what was expected and what was found,
 * e.g. {@code "w.safetensors: tensor 'fc.weight': expected shape [36, 512], found [1000, 512]"}.
 * The CLI prints it as {@code error: <message>} and exits with status 2; it never prints a stack trace for it.
 */
public class BadInputException extends RuntimeException {
    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
