"""Where models are measured: the host through LiteRT, and Android phones over adb."""
