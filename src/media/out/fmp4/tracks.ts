/** Track ids and clocks shared by the init and media segments. */
export const VIDEO_TRACK_ID = 1;
export const AUDIO_TRACK_ID = 2;
/** Both tracks keep the access units' 90 kHz clock, so timestamps need no rescaling. */
export const TIMESCALE = 90000;
