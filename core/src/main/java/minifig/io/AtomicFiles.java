package minifig.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import minifig.BadInputException;

/**
 * Writes files so that readers see either the old content or the complete new content, never a half-written
 * file: the bytes go to a temporary file in the same folder, which is flushed, fsynced and then renamed over the
 * target in one atomic step. If anything fails the temporary file is deleted and the old file stays intact.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /**
     * Writes {@code target} atomically with the bytes that {@code body} writes to the stream it is given (the
     * stream is buffered; {@code body} need not close it). Missing parent folders are created.
     *
     * @throws BadInputException naming the file when it cannot be written (permissions, disk full, ...)
     */
    public static void write(Path target, IOConsumer<OutputStream> body) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = newTempFile(dir, abs.getFileName().toString());
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                OutputStream raw = Channels.newOutputStream(ch);
                BufferedOutputStream out = new BufferedOutputStream(new FilterOutputStream(raw) {
                    @Override public void write(byte[] b, int off, int len) throws IOException { raw.write(b, off, len); }
                    @Override public void close() {} // body may close its stream; the channel must stay open for force()
                }, 1 << 16);
                body.accept(out);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system does not support atomic renames in " + dir, e);
            }
            tmp = null;
            syncDirectory(dir);
        } catch (IOException e) {
            throw IoErrors.bad(target, "cannot write: " + IoErrors.describe(e), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // The original failure is what the user needs to see; a stray temp file is harmless.
                }
            }
        }
    }

    /** Writes {@code text} as UTF-8, atomically. */
    public static void writeString(Path target, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        write(target, out -> out.write(bytes));
    }

    /** Writes {@code bytes}, atomically. */
    public static void writeBytes(Path target, byte[] bytes) {
        write(target, out -> out.write(bytes));
    }

    /**
     * Deletes the temporary files that writers killed mid-write (kill -9, power loss) left in {@code dir}; call it
     * only on a folder this process owns (a run folder), never while another process writes there.
     */
    public static void deleteStaleTemporaries(Path dir) {
        try (var s = Files.list(dir)) {
            for (Path p : s.filter(p -> TEMP_NAME.matcher(p.getFileName().toString()).matches()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw IoErrors.bad(dir, "cannot clean up temporary files: " + IoErrors.describe(e), e);
        }
    }

    /** ".NAME.HEX.tmp", as {@link #newTempFile} names them. */
    private static final java.util.regex.Pattern TEMP_NAME = java.util.regex.Pattern.compile("\\..+\\.[0-9a-f]{1,16}\\.tmp");

    // Not Files.createTempFile: it creates mode 0600 files, and checkpoints should get the usual umask permissions.
    private static Path newTempFile(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (attempt > 10) throw e;
            }
        }
    }

    // Makes the rename itself durable. Some platforms cannot open a directory; the rename is still atomic there.
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort
        }
    }
}
