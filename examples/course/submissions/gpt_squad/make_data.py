"""Writes data/eval.jsonl: prompts, and as references the original model's own greedy tokens.

The INT8 run's exact match then says how often quantization changed the generated text.
Run from this folder: python make_data.py
"""

import json

from bench import Submission

PROMPTS = [[5, 17, 42, 9], [100, 200, 300], [7, 7, 7, 7, 7, 7], [512, 3, 88, 901, 14]]
NEW_TOKENS = 16

if __name__ == "__main__":
    model = Submission()
    model.load("cpu")
    with open("data/eval.jsonl", "w", encoding="utf-8") as out:
        for prompt in PROMPTS:
            item = {"ids": prompt, "new_tokens": NEW_TOKENS}
            reference = model.predict([item])[0]
            out.write(json.dumps({"input": item, "reference": reference}) + "\n")
