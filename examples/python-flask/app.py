# A tiny web app: Flask answering GET / with the Python version (served by gunicorn, see Procfile).
import os

from flask import Flask

app = Flask(__name__)


@app.get('/')
def hello():
    return f"Hello from Flask on ferry (Python {os.sys.version.split()[0]})\n"


if __name__ == '__main__':
    app.run(host='0.0.0.0', port=int(os.environ.get('PORT', '5000')))
