package minifig.cli;

import minifig.BadInputException;

/** The --threads and progress-bar conventions shared by the commands. */
final class Threads {
    private Threads() {}

    /** Applies --threads (null = all cores) to the compute kernels and returns the count in use. */
    static int apply(Integer threads) {
        int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (n < 1 || n > 1024) throw new BadInputException("--threads: expected 1..1024, found " + n);
        minifig.kernels.Parallel.setThreads(n);
        return n;
    }

    /** A progress bar only on an interactive terminal, and never with --no-progress (keeps CI logs clean). */
    static boolean progressWanted(boolean noProgress) {
        java.io.Console c = System.console();
        return !noProgress && c != null && c.isTerminal();
    }
}
