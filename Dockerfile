# NHI Portal application image (web, worker and beat share it).
FROM python:3.12-slim-bookworm

# WeasyPrint needs Pango and HarfBuzz (with the subset library for fast font subsetting);
# letters need Japanese, Chinese, Burmese and Devanagari fonts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
        fonts-noto-cjk fonts-noto-core poppler-utils \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 NHI_DATA_DIR=/data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY nhi_portal nhi_portal
COPY enrollment enrollment
COPY receipts receipts
COPY arrears arrears
COPY templates templates
COPY static static
COPY manage.py ./
RUN pip install --no-cache-dir . \
    && DJANGO_SECRET_KEY=collectstatic-only-not-secret-0123456789abcdefghijklmnopqrstuvwxyz \
       python manage.py collectstatic --noinput

RUN useradd --system --uid 1000 nhi && mkdir -p /data && chown nhi /data
USER nhi
EXPOSE 8000
CMD ["gunicorn", "nhi_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120"]
