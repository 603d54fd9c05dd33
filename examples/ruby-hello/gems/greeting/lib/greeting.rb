# A tiny gem installed by Bundler from the app's own repository.
module Greeting
  def self.hello(name)
    "Hello from #{name} on Ruby #{RUBY_VERSION}"
  end
end
