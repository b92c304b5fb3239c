# CNN Lab as a container: one Streamlit server per container, several containers
# behind a load balancer with sticky sessions (see deploy/ and docs/deployment.md).
#   docker build -t cnnlab .
#   docker run -p 8501:8501 -e STREAMLIT_SERVER_COOKIE_SECRET="$(openssl rand -hex 32)" cnnlab
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    STREAMLIT_SERVER_HEADLESS=true \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=131072

# The two MALLOC_ settings make memory come back after a class leaves: glibc would
# otherwise give every thread (sessions, trainers) its own heap arena and raise its mmap
# threshold after the first large NumPy array is freed, so freed arrays stayed in the
# process. Measured with benchmarks/load_test.py, N = 10 with three trainings: resident
# memory after the sessions closed 421 MB -> 216 MB (start 235 -> 199, peak 620 -> 488);
# again with the trainers in processes (benchmarks/bench_malloc.py --rss, 2026-12-02):
# 218 MB -> 188 MB. The trainer processes run without MALLOC_MMAP_THRESHOLD_ (a whole
# fast trainer run took 1.6x the CPU per step with it) and trim their heap after each job.

# An unprivileged user owns nothing but its home: the app code is read-only to it.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin cnnlab
WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY app.py ./
COPY .streamlit/ .streamlit/
COPY app_pages/ app_pages/
COPY cnnlab/ cnnlab/
COPY ui/ ui/
COPY services/ services/
COPY assets/ assets/

USER cnnlab
EXPOSE 8501

# /_stcore/health answers "ok" once the server runs. The slim image has no curl,
# so the check uses Python's standard library.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status == 200 else 1)"]

# .streamlit/config.toml holds the limits; the cookie secret comes from the environment
# (STREAMLIT_SERVER_COOKIE_SECRET), the same value on every replica.
CMD ["python", "-m", "streamlit", "run", "app.py", "--server.port", "8501", "--server.address", "0.0.0.0"]
