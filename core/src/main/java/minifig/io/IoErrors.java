package minifig.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import minifig.BadInputException;

/** Builds the one-line {@link BadInputException} messages of the readers: {@code "<file>: <what>"}. */
final class IoErrors {
    private IoErrors() {}

    static BadInputException bad(Object file, String message) {
        return new BadInputException(oneLine(file + ": " + message));
    }

    static BadInputException bad(Object file, String message, Throwable cause) {
        return new BadInputException(oneLine(file + ": " + message), cause);
    }

    /** Maps an I/O failure while reading {@code file} to a user-facing error. */
    static BadInputException readFailure(Path file, IOException e) {
        if (e instanceof NoSuchFileException) return bad(file, "file not found", e);
        if (e instanceof AccessDeniedException) return bad(file, "permission denied", e);
        return bad(file, "cannot read: " + describe(e), e);
    }

    static String describe(Throwable e) {
        // The message, not the class name: users read "zip END header not found", not "ZipException".
        String m = e.getMessage();
        if (m != null && !m.isBlank()) return m;
        // No message: "EOFException" -> "eof error", "ZipException" -> "zip error".
        String kind = e.getClass().getSimpleName().replaceAll("(Exception|Error)$", "").replaceAll("(?<=[a-z])(?=[A-Z])", " ");
        return kind.toLowerCase(java.util.Locale.ROOT) + " error";
    }

    /** Messages must stay on one line even when a cause's message spans several. */
    static String oneLine(String s) {
        return s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }

    /** A short, printable rendering of untrusted text for error messages. */
    static String quote(String s) {
        String t = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        StringBuilder sb = new StringBuilder("'");
        for (char c : t.toCharArray()) {
            if (c < 0x20 || c == 0x7f) sb.append(String.format("\\x%02x", (int) c));
            else sb.append(c);
        }
        return sb.append('\'').toString();
    }
}
