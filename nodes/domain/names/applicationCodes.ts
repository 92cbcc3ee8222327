/**
 * The application codes of the batch channel, in one table so that a new code is one line.
 * `send`: codes we put in FI/FS/GO/TD names; `response`: codes the social security puts in FO/CO names.
 */
export interface ApplicationCode {
	code: string;
	direction: 'send' | 'response';
	label: string;
}

export const APPLICATION_CODES: readonly ApplicationCode[] = [
	{
		code: 'AOAT',
		direction: 'send',
		label: 'DRS work accident (arbeidsongeval / accident du travail)',
	},
	{ code: 'DIMN', direction: 'send', label: 'Dimona (immediate declaration of employment)' },
	{ code: 'DMFA', direction: 'send', label: 'DmfA quarterly declaration (original)' },
	{ code: 'DMRQ', direction: 'send', label: 'DmfA consultation request' },
	{ code: 'DMWA', direction: 'send', label: 'DmfA modification' },
	{ code: 'DUCN', direction: 'send', label: 'Unieke Werfmelding / déclaration unique de chantier' },
	{ code: 'PFRQ', direction: 'send', label: 'Personnel file request' },
	{ code: 'TWCT', direction: 'send', label: 'Temporary unemployment (tijdelijke werkloosheid)' },
	{ code: 'VBLV', direction: 'send', label: 'Validation book (validatieboek)' },
	{ code: 'WECH', direction: 'send', label: 'DRS unemployment (werkloosheid / chômage)' },
	{ code: 'ZIMA', direction: 'send', label: 'DRS sickness (ziekte / maladie)' },
	{ code: 'FLEX', direction: 'send', label: 'Flexi wages' },
	{ code: 'ACRF', direction: 'response', label: 'Acknowledgement of receipt of a file' },
	{ code: 'NOTI', direction: 'response', label: 'Notification: declaration accepted or not' },
	{ code: 'DMNO', direction: 'response', label: 'DmfA notification' },
	{ code: 'DMPI', direction: 'response', label: 'DmfA PID (identification) answer' },
	{ code: 'DMDB', direction: 'response', label: 'DmfA database answer' },
	{ code: 'IDFL', direction: 'response', label: 'Dimona identification flow' },
	{ code: 'FINO', direction: 'response', label: 'Financial notification' },
	{ code: 'BEWA', direction: 'response', label: 'Proof of receipt (bewijs van aangifte)' },
	{ code: 'PFAN', direction: 'response', label: 'Personnel file answer' },
];

const byCode = new Map(APPLICATION_CODES.map((entry) => [entry.code, entry]));

export function findApplicationCode(code: string): ApplicationCode | undefined {
	return byCode.get(code);
}

export function sendingApplicationCodes(): ApplicationCode[] {
	return APPLICATION_CODES.filter((entry) => entry.direction === 'send');
}
