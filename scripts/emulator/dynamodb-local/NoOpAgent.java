// A Java agent that does nothing. LocalStack starts DynamoDB Local with -javaagent:ddb-local-loader-0.1.jar, its
// own patch that lifts DynamoDB Local's limit of 20 global secondary indexes, downloaded from GitHub at run time.
// Offline there is no download; no table of this platform has more than two indexes, so scripts/emulator.sh
// compiles this in its place.
public final class NoOpAgent {
  public static void premain(String arguments) {}
}
