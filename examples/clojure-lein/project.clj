;; Built by Debian's Leiningen; every dependency comes from Maven Central (Clojars cannot be reached here).
(defproject hello "1.0.0"
  :dependencies [[org.clojure/clojure "1.11.1"]
                 [org.clojure/data.json "2.5.0"]]
  :main hello.core
  :aot [hello.core]
  :uberjar-name "hello-standalone.jar")
