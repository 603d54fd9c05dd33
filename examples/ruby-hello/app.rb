# A plain HTTP server from Ruby's standard library (socket): RubyGems, and so Rack and Puma, cannot be had here.
require 'bundler/setup'
require 'greeting'
require 'shout'
require 'json'
require 'socket'

server = TCPServer.new('0.0.0.0', Integer(ENV.fetch('PORT', '5000')))
$stdout.sync = true
puts "listening on #{ENV.fetch('PORT', '5000')}"
loop do
  client = server.accept
  Thread.new(client) do |c|
    while (line = c.gets) && line != "\r\n"; end
    body = JSON.generate(hello: Greeting.hello('ruby-hello'), shout: Shout.call('cached'), dyno: ENV['DYNO'], rack_env: ENV['RACK_ENV'])
    c.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: #{body.bytesize}\r\nConnection: close\r\n\r\n#{body}")
  ensure
    c.close
  end
end
