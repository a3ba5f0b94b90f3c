package minifig.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the committed test files under src/test/resources/io (made by gen_io_fixtures.py). */
final class Fixtures {
    private Fixtures() {}

    static Path path(String name) {
        var url = Fixtures.class.getResource("/io/" + name);
        if (url == null) throw new IllegalStateException("missing test resource io/" + name + " (run gen_io_fixtures.py)");
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] bytes(String name) {
        try {
            return Files.readAllBytes(path(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
