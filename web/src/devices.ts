// Microphone and speaker choice. Device names are readable only after the page has had
// microphone access once, so the lists are filled again after each successful capture and
// whenever devices come and go. The choice is kept in localStorage (device ids are per-site
// random strings, not secrets) so that it survives a reload.

const MIC_KEY = 'switchboard.mic';
const SPEAKER_KEY = 'switchboard.speaker';

/** A microphone problem, with a sentence the page can show as is. */
export class MicError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MicError';
  }
}

export interface DeviceHooks {
  /** The user picked another microphone. */
  micChanged(): void;
  /** The user picked another speaker ('' = the default). */
  speakerChanged(id: string): void;
  /** A note about the lists ('' for none), e.g. that the browser cannot pick a speaker. */
  note(text: string): void;
}

export class Devices {
  constructor(
    private readonly mic: HTMLSelectElement,
    private readonly speaker: HTMLSelectElement,
    private readonly output: HTMLMediaElement,
    private readonly hooks: DeviceHooks,
  ) {
    mic.addEventListener('change', () => {
      remember(MIC_KEY, mic.value);
      hooks.micChanged();
    });
    speaker.addEventListener('change', () => {
      remember(SPEAKER_KEY, speaker.value);
      void this.applySpeaker();
    });
    if (!canChooseOutput(output)) {
      speaker.disabled = true;
      hooks.note('This browser plays calls on its default speaker; it cannot switch outputs.');
    }
    navigator.mediaDevices?.addEventListener('devicechange', () => void this.refresh());
  }

  /** The chosen microphone's id, '' for the browser's default. */
  get micId(): string {
    return this.mic.value;
  }

  get speakerId(): string {
    return this.speaker.value;
  }

  /** Asks for the microphone once (for the device names and to surface a refusal early). */
  async init(): Promise<void> {
    try {
      const stream = await this.capture();
      stream.getTracks().forEach((t) => t.stop());
    } finally {
      await this.refresh();
    }
  }

  /** A fresh stream from the chosen microphone; throws MicError with a readable message. */
  async capture(): Promise<MediaStream> {
    const media = navigator.mediaDevices;
    if (!media || typeof media.getUserMedia !== 'function') {
      throw new MicError(
        'This page cannot use a microphone: open it over HTTPS (or on localhost) in a browser with WebRTC.',
      );
    }
    const id = this.mic.value;
    const audio: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
    try {
      return await media.getUserMedia({ audio: id ? { ...audio, deviceId: { exact: id } } : audio, video: false });
    } catch (err) {
      // The chosen device is gone: fall back to the default one rather than fail the call.
      if (id && errorName(err) === 'OverconstrainedError') {
        this.mic.value = '';
        remember(MIC_KEY, '');
        return this.capture();
      }
      throw new MicError(micMessage(err));
    }
  }

  /** Fills both lists from enumerateDevices, keeping (or restoring) the choice. */
  async refresh(): Promise<void> {
    const media = navigator.mediaDevices;
    if (!media || typeof media.enumerateDevices !== 'function') return;
    let devices: MediaDeviceInfo[];
    try {
      devices = await media.enumerateDevices();
    } catch {
      return;
    }
    fill(this.mic, devices, 'audioinput', 'Microphone', recall(MIC_KEY));
    fill(this.speaker, devices, 'audiooutput', 'Speaker', recall(SPEAKER_KEY));
    await this.applySpeaker();
  }

  private async applySpeaker(): Promise<void> {
    const id = this.speaker.value;
    this.hooks.speakerChanged(id);
    if (!canChooseOutput(this.output)) return;
    try {
      await this.output.setSinkId(id);
      this.hooks.note('');
    } catch (err) {
      this.hooks.note(`The chosen speaker cannot be used (${errorName(err) || 'error'}); calls play on the default one.`);
    }
  }
}

// Firefox before 116 and Safari have no setSinkId; lib.dom declares it on every element.
function canChooseOutput(el: HTMLMediaElement): boolean {
  return typeof (el as Partial<Pick<HTMLMediaElement, 'setSinkId'>>).setSinkId === 'function';
}

function fill(select: HTMLSelectElement, devices: MediaDeviceInfo[], kind: MediaDeviceKind, noun: string, saved: string): void {
  const wanted = select.value || saved;
  const own = devices.filter((d) => d.kind === kind && d.deviceId !== '' && d.deviceId !== 'default' && d.deviceId !== 'communications');
  const options = [new Option(`Default ${noun.toLowerCase()}`, '')];
  own.forEach((d, i) => options.push(new Option(d.label || `${noun} ${i + 1}`, d.deviceId)));
  select.replaceChildren(...options);
  select.value = own.some((d) => d.deviceId === wanted) ? wanted : '';
}

function errorName(err: unknown): string {
  return err instanceof Error || err instanceof DOMException ? err.name : '';
}

function micMessage(err: unknown): string {
  switch (errorName(err)) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Microphone access is blocked. Allow it for this site (the icon in the address bar), then reload the page to make and answer calls.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No microphone was found. Connect one to make and answer calls.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The microphone cannot be opened; another application may be using it.';
    default:
      return `The microphone cannot be used (${errorName(err) || String(err)}).`;
  }
}

// Storage can be unavailable (privacy modes, sandboxed frames): the choice is then not kept.
function remember(key: string, value: string): void {
  try {
    if (value) window.localStorage.setItem(key, value);
    else window.localStorage.removeItem(key);
  } catch {
    /* not kept */
  }
}

function recall(key: string): string {
  try {
    return window.localStorage.getItem(key) ?? '';
  } catch {
    return '';
  }
}
