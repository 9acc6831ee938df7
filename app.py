"""srdemo's web app (also the Hugging Face Space entry point): ``python app.py [--host H] [--port P]``."""

import argparse

from srdemo.ui import launch

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve the srdemo app.")
    parser.add_argument("--host", default=None, help="default: $GRADIO_SERVER_NAME or 127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default: $GRADIO_SERVER_PORT or 7860")
    args = parser.parse_args()
    launch(args.host, args.port)
