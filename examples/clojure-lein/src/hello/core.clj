;; The clojure-lein example: a JDK HTTP server answering JSON written with clojure.data.json, built by Leiningen.
(ns hello.core
  "A tiny web app: the JDK's HTTP server, answering JSON written by clojure.data.json (from Maven Central)."
  (:require [clojure.data.json :as json])
  (:import (com.sun.net.httpserver HttpHandler HttpServer)
           (java.net InetSocketAddress))
  (:gen-class))

(defn -main [& _]
  (let [port (Integer/parseInt (or (System/getenv "PORT") "5000"))
        server (HttpServer/create (InetSocketAddress. port) 0)]
    (.createContext server "/"
                    (reify HttpHandler
                      (handle [_ exchange]
                        (let [body (.getBytes (json/write-str {:hello (str "from Clojure " (clojure-version))
                                                               :dyno (System/getenv "DYNO")})
                                              "UTF-8")]
                          (.set (.getResponseHeaders exchange) "Content-Type" "application/json")
                          (.sendResponseHeaders exchange 200 (alength body))
                          (with-open [out (.getResponseBody exchange)]
                            (.write out body))))))
    (.start server)
    (println "listening on" port)))
