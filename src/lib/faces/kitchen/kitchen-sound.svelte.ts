// the tablet remembers it is a kitchen screen with sound; after a reload the browser wants a tap first
const SOUND_KEY = 'ocp.kitchen.sound';

type Note = [freq: number, at: number, len: number];

/**
 * The kitchen screen's sound: off until a tap turns it on, remembered by the tablet, and a few
 * tones, each kind of news its own tune so the cook knows without looking.
 */
export class KitchenSound {
  on = $state(false);
  /** The sound was on before a reload: the one tap the browser asks for brings it back. */
  toRestore = $state(false);
  private audio: AudioContext | null = null;

  /** A few tones. */
  private play(notes: Note[], type: OscillatorType = 'sine') {
    if (!this.on || !this.audio) return;
    const audio = this.audio;
    const now = audio.currentTime;
    for (const [f, at, len] of notes) {
      const o = audio.createOscillator();
      const g = audio.createGain();
      o.type = type;
      o.frequency.value = f;
      g.gain.setValueAtTime(0.0001, now + at);
      g.gain.exponentialRampToValueAtTime(0.4, now + at + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, now + at + len);
      o.connect(g).connect(audio.destination);
      o.start(now + at);
      o.stop(now + at + len + 0.02);
    }
  }

  // new ticket: two rising notes; changed: three quick notes; cancelled: a falling, buzzing pair;
  // cancelled by a delivery platform: an alarm-like double call, low then high, twice (nobody here cancelled it)
  chime = () => this.play([[880, 0, 0.3], [1320, 0.18, 0.3]]);
  changeTone = () => this.play([[990, 0, 0.12], [990, 0.16, 0.12], [1320, 0.32, 0.25]], 'triangle');
  cancelTone = () => this.play([[523, 0, 0.35], [392, 0.3, 0.35], [262, 0.6, 0.6]], 'square');
  platformCancelTone = () => this.play([[330, 0, 0.18], [660, 0.2, 0.18], [330, 0.5, 0.18], [660, 0.7, 0.3]], 'sawtooth');

  private start() {
    this.audio ??= new AudioContext();
    void this.audio.resume();
  }

  /** The sound button: on or off, remembered by the tablet. */
  toggle() {
    this.start();
    this.on = !this.on;
    localStorage.setItem(SOUND_KEY, this.on ? 'on' : 'off');
    if (this.on) this.chime();
  }

  /** The one tap the browser asks for after a reload: the sound comes back as it was. */
  restore() {
    this.start();
    this.on = true;
    this.toRestore = false;
    this.chime();
  }

  /** Once in the browser: whether the sound was on before the reload. */
  recall() {
    this.toRestore = localStorage.getItem(SOUND_KEY) === 'on';
  }
}
