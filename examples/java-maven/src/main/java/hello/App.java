// The java-maven example: a JDK HTTP server answering JSON written with Gson (from Maven Central).
package hello;

import com.google.gson.Gson;
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** A tiny web app: the JDK's HTTP server, answering JSON built with Gson (a dependency from Maven Central). */
public final class App {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "5000"));
    Gson gson = new Gson();
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
    server.createContext("/", exchange -> {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("hello", "from Java " + System.getProperty("java.version"));
      body.put("dyno", System.getenv("DYNO"));
      body.put("maxHeapMb", Runtime.getRuntime().maxMemory() / (1024 * 1024));
      byte[] bytes = gson.toJson(body).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    });
    server.start();
    System.out.println("listening on " + port);
  }
}
