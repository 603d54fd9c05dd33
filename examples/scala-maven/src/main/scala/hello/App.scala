// The scala-maven example: a JDK HTTP server in Scala, built by Maven with scala-maven-plugin.
package hello

import com.sun.net.httpserver.HttpServer
import java.net.InetSocketAddress
import java.nio.charset.StandardCharsets

/** A tiny web app: the JDK's HTTP server, in Scala (scala-library from Maven Central). */
object App {
  def main(args: Array[String]): Unit = {
    val port = sys.env.getOrElse("PORT", "5000").toInt
    val server = HttpServer.create(new InetSocketAddress(port), 0)
    server.createContext("/", exchange => {
      val body = s"hello from Scala ${util.Properties.versionNumberString}".getBytes(StandardCharsets.UTF_8)
      exchange.sendResponseHeaders(200, body.length.toLong)
      val out = exchange.getResponseBody
      try out.write(body) finally out.close()
    })
    server.start()
    println(s"listening on $port")
  }
}
