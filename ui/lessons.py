"""The lessons of the app, in menu order: one place for navigation and the home page.

A lesson whose page file does not exist yet is shown on the home page as
"coming soon" and is left out of the menu; nothing pretends to be a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Lesson:
    key: str        # catalog prefix: lesson.<key>.title / lesson.<key>.summary
    path: str       # page script, relative to the repository root
    icon: str       # Material icon
    section: str    # catalog key section.<section>
    url: str        # stable, language-independent URL path

    @property
    def available(self):
        return (ROOT / self.path).exists()


HOME = Lesson("home", "app_pages/home/page.py", ":material/home:", "start", "")

LESSONS = [
    Lesson("conv", "app_pages/convolution/page.py", ":material/grid_on:", "basics", "convolution"),
    Lesson("output_size", "app_pages/output_size/page.py", ":material/calculate:", "basics", "output-size"),
    Lesson("pooling", "app_pages/pooling/page.py", ":material/filter_center_focus:", "basics", "pooling"),
    Lesson("receptive", "app_pages/receptive_field/page.py", ":material/center_focus_strong:", "basics",
           "receptive-field"),
    Lesson("architectures", "app_pages/architectures/page.py", ":material/account_tree:", "basics",
           "architectures"),
    Lesson("backprop", "app_pages/backprop/page.py", ":material/device_hub:", "learning", "backprop"),
    Lesson("descent", "app_pages/gradient_descent/page.py", ":material/landscape:", "learning",
           "gradient-descent"),
    Lesson("linear", "app_pages/linear_classifier/page.py", ":material/scatter_plot:", "learning",
           "linear-classifier"),
    Lesson("deep", "app_pages/deep_gradients/page.py", ":material/stacked_line_chart:", "learning", "deep-gradients"),
    Lesson("training", "app_pages/training/page.py", ":material/model_training:", "learning", "training"),
    Lesson("sliding", "app_pages/sliding_window/page.py", ":material/view_week:", "your_image", "sliding-window"),
    Lesson("features", "app_pages/feature_maps/page.py", ":material/photo_camera:", "your_image",
           "feature-maps"),
    Lesson("own", "app_pages/own_classes/page.py", ":material/category:", "your_image", "own-classes"),
    Lesson("classroom", "app_pages/classroom/page.py", ":material/co_present:", "classroom", "class"),
]

SECTIONS = ["basics", "learning", "your_image", "classroom"]


def available_lessons():
    return [lesson for lesson in LESSONS if lesson.available]
