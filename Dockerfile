# gbvms production image. Build: docker build -t gbvms .
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg python3 make g++ tini \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# The native SIP and RTP UDP readers (optional dependencies, built by node-gyp with the g++ above).
COPY native ./native
RUN npm ci --omit=dev --no-audit --no-fund
COPY config ./config
COPY src ./src
COPY tsconfig.json ./
ENV NODE_ENV=production GBVMS_DATA_DIR=/data
VOLUME ["/data", "/footage"]
EXPOSE 5060/udp 5060/tcp 18080/tcp 18081/tcp 18554/tcp 30000-30999/udp 30000-30999/tcp
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "src/main.ts"]
