package minifig.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import minifig.BadInputException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The minifig command line: train, eval, predict, convert, tune. Bad input (BadInputException, a missing
 * file, a bad flag) is reported as ONE line "error: ..." with exit status 2, never as a stack trace.
 */
@Command(name = "minifig", mixinStandardHelpOptions = true, version = "minifig-cnn 0.1.0",
        description = "A CNN engine in pure Java and the LEGO minifigure classifier built on it.",
        subcommands = {TrainCommand.class, EvalCommand.class, PredictCommand.class, ConvertCommand.class, TuneCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        HeapTarget.start();
        System.exit(run(args));
    }

    /** Runs the CLI and returns the exit status (tests call this instead of main). */
    public static int run(String... args) {
        CommandLine cl = commandLine();
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {  // an Error: picocli's exception handler never sees it
            cl.getErr().println("error: " + userMessage(e));
            return 2;
        }
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.getSubcommands().get("train").getCommandSpec().usageMessage().footer(minifig.train.Recipe.helpFooter());
        return withOneLineErrors(cl);
    }

    /**
     * Installs the CLI's error reporting on a command line: a bad flag or value, or an input error from the command
     * ({@link #userMessage}), prints one line "error: ..." and execute returns status 2; anything else (a bug) keeps its
     * stack trace. Public for bench's harnesses, which report their bad arguments the same way.
     */
    public static CommandLine withOneLineErrors(CommandLine cl) {
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            String msg = userMessage(ex);
            if (msg == null) throw ex;
            cmd.getErr().println("error: " + msg.strip().replaceAll("\\s*[\\r\\n]+\\s*", " "));
            return 2;
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            ex.getCommandLine().getErr().println("error: " + ex.getMessage().strip().replaceAll("\\s*[\\r\\n]+\\s*", " ")
                    + " (see '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            return 2;
        });
        return cl;
    }

    /** The one-line message for errors caused by input, or null for a real bug (which keeps its stack trace). */
    static String userMessage(Throwable ex) {
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof BadInputException) return t.getMessage();
            if (t instanceof NoSuchFileException f) return f.getFile() + ": no such file";
            if (t instanceof AccessDeniedException f) return f.getFile() + ": permission denied";
            if (t instanceof OutOfMemoryError) {
                return "out of memory (Java heap cap " + (Runtime.getRuntime().maxMemory() >> 20) + " MB); lower --batch-size "
                        + "or raise the cap with MINIFIG_JAVA_OPTS=-Xmx16g (any size above it)";
            }
        }
        if (ex instanceof UncheckedIOException || ex instanceof IOException) return String.valueOf(ex.getMessage());
        return null;
    }
}
