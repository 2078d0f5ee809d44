"""A submission that crashes in load(), and one whose predict() never returns."""

import time


class Crash:
    def load(self, device):
        raise RuntimeError("the weights file is corrupt")

    def predict(self, inputs):
        return inputs


class Hang:
    def load(self, device):
        pass

    def predict(self, inputs):
        while True:
            time.sleep(1)
