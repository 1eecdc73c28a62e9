import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Java backend asking `roomkey serve` for a Red5 Pro token on behalf of a user it has already
 * signed in, with its service key. JDK 17, java.net.http only: no dependencies.
 *
 * <pre>
 * ROOMKEY_URL=http://127.0.0.1:3000 ROOMKEY_SERVICE_KEY=rk_… java TokenClient.java alice room-abc publisher
 * </pre>
 *
 * Prints the token on standard output; on a refusal prints the problem's code and detail on
 * standard error and exits 1. The service's configuration caps the key, each setting written
 * out (absent rooms or transports grant none):
 *
 * <pre>
 * { "name": "java-backend", "sha256": "…", "role": "publisher", "users": "any",
 *   "rooms": ["room-*"], "platforms": ["red5pro"], "transports": ["WHIP", "WHEP"] }
 * </pre>
 *
 * <p>"users": "any" because this backend signs its users in itself and may act for each of them;
 * a key for a narrower job names its users, such as ["kiosk-*"].
 *
 * <pre>
 * </pre>
 */
public final class TokenClient {
  private static final Pattern TOKEN = Pattern.compile("\"red5pro\"\\s*:\\s*\\{\\s*\"token\"\\s*:\\s*\"([^\"]+)\"");
  private static final Pattern CODE = Pattern.compile("\"code\"\\s*:\\s*\"([^\"]*)\"");
  private static final Pattern DETAIL = Pattern.compile("\"detail\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: java TokenClient.java USER ROOM ROLE (with ROOMKEY_URL and ROOMKEY_SERVICE_KEY set)");
      System.exit(2);
    }
    String url = System.getenv().getOrDefault("ROOMKEY_URL", "http://127.0.0.1:3000");
    String key = System.getenv("ROOMKEY_SERVICE_KEY");
    if (key == null || key.isEmpty()) {
      System.err.println("set ROOMKEY_SERVICE_KEY to the key `roomkey service-key` made for this backend");
      System.exit(2);
    }
    String body = "{\"room\":" + json(args[1]) + ",\"role\":" + json(args[2]) + "}";
    HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/tokens"))
        .timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + key)
        .header("Roomkey-User", args[0])
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      System.err.println(
          "refused: " + response.statusCode() + " " + find(CODE, response.body()) + ": "
              + unescape(find(DETAIL, response.body())));
      System.exit(1);
    }
    System.out.println(find(TOKEN, response.body()));
  }

  /** A JSON string literal: the user's input never breaks out of its quotes. */
  private static String json(String value) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : value.toCharArray()) {
      if (c == '"' || c == '\\') out.append('\\').append(c);
      else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
      else out.append(c);
    }
    return out.append('"').toString();
  }

  /** The JSON escapes a problem's detail may hold: quotes and backslashes. */
  private static String unescape(String text) {
    return text.replace("\\\"", "\"").replace("\\\\", "\\");
  }

  private static String find(Pattern pattern, String text) {
    Matcher matcher = pattern.matcher(text);
    return matcher.find() ? matcher.group(1) : "";
  }
}
