# pytest: import the emulator's modules (gaps, tls, nexus_moto) by name, as nexus_moto.py does.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
