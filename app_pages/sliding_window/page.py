"""Lesson: from sliding windows to fully convolutional networks, with the pretrained LeNet-5."""

import streamlit as st

from app_pages.sliding_window import figures as fg
from app_pages.sliding_window import questions
from app_pages.sliding_window import views as v
from ui import errors, figures, quiz
from ui.fmt import num, sci
from ui.i18n import translator
from ui.style import PLOT

t = translator()
url = v.url_state()

st.title(t("fcn.title"))
st.markdown(t("fcn.intro"))
with st.container(border=True):
    rows, cols, gap, seed, digits = v.page_controls(t, url)
view = st.segmented_control(t("fcn.view"), v.SECTIONS, key=url.key("view"),
                            format_func=lambda s: t(f"fcn.view.{s}")) or "same"

try:
    with st.spinner(t("fcn.computing")):
        page, maps = v.compute(rows, cols, gap, seed, digits)
except ValueError as exc:
    errors.show(exc, t)
    st.stop()

st.caption(t("fcn.page_caption", n=len(page.labels), h=page.image.shape[0], w=page.image.shape[1],
             labels=" ".join(str(d) for d in page.labels)))
n_rows, n_cols = maps.fcn.shape[1:]

if view == "same":
    pos = int(url.get("pos"))
    if pos < 0:      # default: the window on the first digit
        pos = maps.position_of(*page.boxes[0][:2])
    url.set("pos", min(pos, maps.positions - 1))
    pos = st.slider(t("fcn.pos"), 0, maps.positions - 1, key=url.key("pos"), help=t("fcn.pos_help"))
    i, j, box = maps.window(pos)
    figures.chart(st, fg.page_with_window(t, page.image, box, t("fcn.window_title", i=i, j=j, side=maps.side)),
                    **PLOT, alt=t("fcn.page_alt"))
    c1, c2 = st.columns([3, 2], vertical_alignment="center")
    figures.chart(c1, fg.window_probs(t, maps.sliding[:, i, j], t("fcn.window_probs")), **PLOT,
                    alt=t("fcn.probs_alt"))
    best = int(maps.sliding[:, i, j].argmax())
    c2.markdown(t("fcn.window_says", d=best, p=num(maps.sliding[best, i, j]), n=maps.positions))
    st.markdown(t("fcn.rewrite"))
    digit = st.select_slider(t("fcn.digit"), list(range(10)), key=url.key("digit"))
    figures.chart(st, fg.class_map(t, maps.sliding, digit, t("fcn.map_sliding", d=digit), maps.stride), **PLOT,
                    alt=t("fcn.map_alt", d=digit))
    figures.chart(st, fg.class_map(t, maps.fcn, digit, t("fcn.map_fcn", d=digit), maps.stride), **PLOT,
                    alt=t("fcn.map_alt", d=digit))
    st.success(t("fcn.equal", diff=sci(maps.max_diff, 2), r=n_rows, c=n_cols, n=maps.positions),
               icon=":material/check_circle:")
    k1, k2, k3 = st.columns(3)
    k1.metric(t("fcn.time_sliding"), v.fmt_seconds(maps.seconds_sliding))
    k2.metric(t("fcn.time_fcn"), v.fmt_seconds(maps.seconds_fcn),
              delta=t("fcn.times_faster", x=f"{maps.speedup:.1f}"),
              delta_color="off")
    k3.metric(t("fcn.macs_saved"), f"{maps.macs_saved:.0%}")
    st.markdown(t("fcn.costs", sliding=v.fmt_count(maps.macs_sliding), fcn=v.fmt_count(maps.macs_fcn),
                  saved=v.fmt_count(maps.macs_sliding - maps.macs_fcn), n=maps.positions))
    st.caption(t("fcn.time_note"))
else:
    c1, c2 = st.columns(2)
    thr = c1.slider(t("fcn.thr"), 0.5, 0.9999, key=url.key("thr"), step=0.001, format="%.3f", help=t("fcn.thr_help"))
    nms = c2.slider(t("fcn.nms"), 0.0, 0.9, key=url.key("nms"), step=0.05, help=t("fcn.nms_help"),
                    disabled=view == "segment")
    try:
        det = v.detect(rows, cols, gap, seed, digits, float(thr), float(nms))
    except ValueError as exc:
        errors.show(exc, t)
        st.stop()
    if view == "segment":
        figures.chart(st, fg.segmentation(t, page.image, det, maps.stride, float(thr), t("fcn.seg_title")), **PLOT,
                        alt=t("fcn.seg_alt"))
        st.markdown(t("fcn.seg_explain"))
    else:
        figures.chart(st, fg.detections(t, page.image, det, page.boxes, page.labels, t("fcn.det_title")), **PLOT,
                        alt=t("fcn.det_alt"))
        st.markdown(t("fcn.det_counts", cand=det.candidates, kept=len(det.boxes), correct=det.correct,
                      n=len(page.labels)))
        st.markdown(t("fcn.det_explain"))
quiz.show(t, "fcn", questions.build(quiz.url_values(url), page, maps))
url.publish(t)
