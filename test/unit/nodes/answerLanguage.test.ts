import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { interpretAnswer } from '../../../nodes/domain/responses/answerContent';
import { answerQueryFrom } from '../../../nodes/shared/answerQuery';
import { answerQueryProperties } from '../../../nodes/shared/answerQueryProperties';

const bytes = readFileSync(join(__dirname, '../../fixtures/answers/noti-anomalies.xml'));

describe('the language of the explanations (option of Poll Responses and the trigger)', () => {
	it('is read from the options, English unless nl or fr is chosen', () => {
		expect(answerQueryFrom(['T'], { language: 'nl' }).language).toBe('nl');
		expect(answerQueryFrom(['T'], { language: 'fr' }).language).toBe('fr');
		expect(answerQueryFrom(['T'], {}).language).toBe('en');
		expect(answerQueryFrom(['T'], { language: 'de' }).language).toBe('en');
	});

	it('gives each anomaly its explanation in that language', () => {
		const explanation = (language: 'nl' | 'fr' | 'en') =>
			interpretAnswer({ type: 'NOTI', contentName: 'FO.NOTI.x', bytes }, { language }).noti
				?.anomalies[0].explanation;
		expect(explanation('nl')).toBe(
			'Zone 00011 NOSSRegistrationNbr (RSZ-NUMMER): Geen of vervallen mandaat',
		);
		expect(explanation('fr')).toBe(
			'Zone 00011 NOSSRegistrationNbr (RSZ-NUMMER): Pas ou plus de mandat',
		);
		expect(explanation('en')).toBe(
			'Zone 00011 NOSSRegistrationNbr (RSZ-NUMMER): Geen of vervallen mandaat / Pas ou plus de mandat',
		);
	});

	it('is an option of Poll Responses and the trigger, English by default', () => {
		const options = answerQueryProperties.find((p) => p.name === 'options')?.options as Array<{
			name: string;
			default?: unknown;
			options?: Array<{ value: unknown }>;
		}>;
		const language = options.find((o) => o.name === 'language');
		expect(language?.default).toBe('en');
		expect(language?.options?.map((o) => o.value)).toEqual(['en', 'fr', 'nl']);
	});
});
