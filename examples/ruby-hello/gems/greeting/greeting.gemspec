Gem::Specification.new do |s|
  s.name = 'greeting'
  s.version = '1.0.0'
  s.summary = 'Says hello (a path gem of the ruby-hello example)'
  s.authors = ['ferry']
  s.files = ['lib/greeting.rb']
  s.license = 'MIT'
end
